// A database that does not answer (CONTRACT §1 "database unavailable"): requests that need it answer 503 with
// Retry-After, in the shape of their endpoint, and the outage is logged once when it starts and once when it ends,
// not once per request. While it lasts a probe asks the database every second; the first answer ends it.
import type { Pool } from 'pg';
import type { Logger } from '../log.js';

export const RETRY_AFTER_SECONDS = 5;

const CONNECTION_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH',
  '57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006', '53300',
]);
const CONNECTION_MESSAGES = /Connection terminated|connection error|timeout exceeded when trying to connect|terminating connection|Connection ended|not queryable/i;

/** Whether `err` (or what it wraps: TypeORM's driverError, a cause) says the database could not be reached. */
export function isDatabaseUnavailable(err: unknown): boolean {
  for (let e = err as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 4; depth++) {
    if (typeof e.code === 'string' && CONNECTION_CODES.has(e.code)) return true;
    if (typeof e.message === 'string' && CONNECTION_MESSAGES.test(e.message)) return true;
    e = (e.driverError ?? e.cause) as typeof e;
  }
  return false;
}

export class DatabaseOutage {
  #down = false;
  #probe: NodeJS.Timeout | undefined;

  constructor(private readonly pool: Pool, private readonly log: Logger) {}

  get down(): boolean {
    return this.#down;
  }

  /** True when `err` is the database being unavailable: the caller answers 503 and logs nothing more. */
  report(err: unknown): boolean {
    if (!isDatabaseUnavailable(err)) return false;
    if (!this.#down) {
      this.#down = true;
      this.log.error({ err: { message: (err as Error)?.message, code: (err as { code?: string })?.code } }, 'database unavailable: answering 503 until it is back');
      this.#probe = setInterval(() => void this.#check(), 1000);
      this.#probe.unref();
    }
    return true;
  }

  async #check(): Promise<void> {
    try {
      await this.pool.query('SELECT 1');
    } catch {
      return;
    }
    if (!this.#down) return;
    this.#down = false;
    clearInterval(this.#probe);
    this.log.warn('database available again');
  }

  stop(): void {
    clearInterval(this.#probe);
  }
}
