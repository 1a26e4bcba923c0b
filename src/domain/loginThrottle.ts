// Brute-force protection of sign-in (CONTRACT §3 "Login throttling holds under concurrency"): an attempt is taken
// first, atomically (one upsert per counter in PostgreSQL, shared by every instance), and only then is the password
// checked, so of any number of simultaneous attempts for one email from one address at most `perAccount` are
// checked. Counted per (email, address) and per address; a success gives back the attempt it took (on both counters),
// so only failures count and people signing in behind one address (a hospital's NAT) do not lock each other out. It
// does not clear earlier failures: a reset while other attempts are in flight would let them be checked again.
import type { Pool } from 'pg';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';

export interface LoginThrottleLimits {
  /** Attempts allowed for one email from one address within `windowSeconds`. */
  perAccount: number;
  /** Failed attempts allowed from one address, whatever the emails, within `windowSeconds`. */
  perAddress: number;
  windowSeconds: number;
}

export const DEFAULT_LIMITS: LoginThrottleLimits = { perAccount: 5, perAddress: 50, windowSeconds: 15 * 60 };

export type Attempt =
  | { allowed: true }
  /** `first`: this attempt is the one that crossed the limit (the moment to record a lockout). */
  | { allowed: false; retryAfter: number; first: boolean };

export class LoginThrottle {
  readonly #account: RateLimiterPostgres;
  readonly #address: RateLimiterPostgres;
  readonly #limits: LoginThrottleLimits;

  constructor(pool: Pool, limits: LoginThrottleLimits = DEFAULT_LIMITS) {
    const common = { storeClient: pool, storeType: 'pool', tableName: 'login_throttle', tableCreated: true, duration: limits.windowSeconds };
    this.#account = new RateLimiterPostgres({ ...common, keyPrefix: 'acct', points: limits.perAccount });
    this.#address = new RateLimiterPostgres({ ...common, keyPrefix: 'addr', points: limits.perAddress });
    this.#limits = limits;
  }

  static accountKey(email: string, address: string): string {
    return `${email.trim().toLowerCase().slice(0, 200)}|${address.slice(0, 45)}`;
  }

  /** Takes one attempt on both counters before anything is checked. */
  async attempt(email: string, address: string): Promise<Attempt> {
    const taken = await Promise.allSettled([
      this.#account.consume(LoginThrottle.accountKey(email, address), 1),
      this.#address.consume(address.slice(0, 45), 1),
    ]);
    const refused = taken.filter((t): t is PromiseRejectedResult => t.status === 'rejected');
    if (!refused.length) return { allowed: true };
    const limits = refused.map((t) => t.reason);
    const store = limits.find((r) => !(r instanceof RateLimiterRes));
    if (store) throw store; // the store failed: not a limit
    const res = limits as RateLimiterRes[];
    return {
      allowed: false,
      retryAfter: Math.max(1, ...res.map((r) => Math.ceil(r.msBeforeNext / 1000))),
      first: res.some((r) => r.consumedPoints === this.#limits.perAccount + 1 || r.consumedPoints === this.#limits.perAddress + 1),
    };
  }

  /** A successful sign-in gives back the attempt it took. */
  async succeeded(email: string, address: string): Promise<void> {
    await Promise.all([
      this.#account.reward(LoginThrottle.accountKey(email, address), 1),
      this.#address.reward(address.slice(0, 45), 1),
    ]);
  }
}
