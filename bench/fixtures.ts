// Names and credentials shared by the bench's servers, seeding and scenarios.

/** The baseline's one static client (stock oidc-provider keeps it in its configuration). */
export const BASELINE_CLIENT = {
  id: 'bench-client',
  secret: 'bench-client-secret-0123456789abcdef',
  redirectUri: 'http://127.0.0.1:9/cb',
  /** The scope requested with client_credentials on both servers. */
  scope: 'service:read',
};

export const BENCH_PEPPER = 'bench-pepper-bench-pepper-bench-pepper-0123456789';
export const BENCH_PASSWORD = 'bench password, not a secret';
export const BENCH_EMAIL = 'bench-user@example.test';

/** Codes and refresh tokens need a long life: they are minted before the rounds that redeem them. */
export const BENCH_CODE_TTL = 3600;
