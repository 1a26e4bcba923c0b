// Brute-force protection of the login form: failed sign-ins are counted per (email, address) and per address
// in PostgreSQL, so every instance sees the same counters; a success clears the pair's counter.
import type { Pool } from 'pg';
import { RateLimiterPostgres, RateLimiterRes } from 'rate-limiter-flexible';

export interface LoginThrottleLimits {
  /** Failures allowed for one email from one address within `windowSeconds`. */
  perAccount: number;
  /** Failures allowed from one address, whatever the emails, within `windowSeconds`. */
  perAddress: number;
  windowSeconds: number;
}

export const DEFAULT_LIMITS: LoginThrottleLimits = { perAccount: 5, perAddress: 50, windowSeconds: 15 * 60 };

export class LoginThrottle {
  readonly #account: RateLimiterPostgres;
  readonly #address: RateLimiterPostgres;

  constructor(pool: Pool, limits: LoginThrottleLimits = DEFAULT_LIMITS) {
    const common = { storeClient: pool, storeType: 'pool', tableName: 'login_throttle', tableCreated: true, duration: limits.windowSeconds };
    this.#account = new RateLimiterPostgres({ ...common, keyPrefix: 'acct', points: limits.perAccount });
    this.#address = new RateLimiterPostgres({ ...common, keyPrefix: 'addr', points: limits.perAddress });
  }

  static #accountKey(email: string, address: string): string {
    return `${email.trim().toLowerCase().slice(0, 200)}|${address}`;
  }

  /** Seconds to wait before another attempt, or 0 when one is allowed now. */
  async retryAfter(email: string, address: string): Promise<number> {
    const [account, addr] = await Promise.all([
      this.#account.get(LoginThrottle.#accountKey(email, address)),
      this.#address.get(address),
    ]);
    const blocked = [account, addr].filter((r): r is RateLimiterRes => r !== null && r.remainingPoints <= 0);
    return blocked.length ? Math.max(...blocked.map((r) => Math.ceil(r.msBeforeNext / 1000))) : 0;
  }

  async failed(email: string, address: string): Promise<void> {
    await Promise.all([
      this.#account.penalty(LoginThrottle.#accountKey(email, address), 1),
      this.#address.penalty(address, 1),
    ]);
  }

  async succeeded(email: string, address: string): Promise<void> {
    await this.#account.delete(LoginThrottle.#accountKey(email, address));
  }
}
