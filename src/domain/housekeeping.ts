// Removal of expired rows (CONTRACT §1 "housekeeping", AUDIT_RETENTION_DAYS): every kind of row that expires is
// registered here once, and each run removes all of it in short batches, by one instance at a time.
import type { Pool, PoolClient } from 'pg';
import type { Logger } from '../log.js';

/** One kind of row that expires: `where` selects the expired rows of `table` (an indexed condition). */
export interface ExpiredKind {
  /** A short name for logs and metrics. */
  name: string;
  table: string;
  where: string;
}

const KINDS: ExpiredKind[] = [];

/** Adds a kind of expiring row; a table added later (an issue's new feature) registers itself in one line. */
export function registerExpiredKind(kind: ExpiredKind): void {
  if (!/^[a-z_][a-z0-9_]*$/.test(kind.table)) throw new Error(`not a table name: ${kind.table}`);
  if (!KINDS.some((k) => k.name === kind.name)) KINDS.push(kind);
}

// Codes, access and refresh tokens, client-credentials tokens, sessions, interactions, grants, replay detection
// and the API's DPoP proofs all live in oidc_payloads with their expiry.
registerExpiredKind({ name: 'oidc_payloads', table: 'oidc_payloads', where: 'expires_at < now()' });
// rate-limiter-flexible keeps `expire` in milliseconds since the epoch.
registerExpiredKind({ name: 'login_throttle', table: 'login_throttle', where: 'expire < (extract(epoch from now()) * 1000)::bigint' });
registerExpiredKind({ name: 'console_sessions', table: 'console_sessions', where: 'expires_at < now()' });
registerExpiredKind({ name: 'console_logins', table: 'console_logins', where: 'expires_at < now()' });
registerExpiredKind({ name: 'account_sessions', table: 'account_sessions', where: 'expires_at < now()' });
registerExpiredKind({ name: 'password_setups', table: 'password_setups', where: 'expires_at < now()' });
// Keys no longer published or verifying (CONTRACT §6 keys:rotate 24 h, cookie-keys:rotate 14 days).
registerExpiredKind({
  name: 'provider_keys', table: 'provider_keys',
  where: `retired_at < now() - CASE WHEN purpose = 'signing' THEN interval '24 hours' ELSE interval '14 days' END`,
});

/** Any fixed number shared by every instance: one housekeeping run at a time on a database. */
export const HOUSEKEEPING_LOCK = 7_302_858_606;
export const DEFAULT_BATCH = 5000;

export interface HousekeepingOptions {
  batch?: number;
  /** CONTRACT §1 AUDIT_RETENTION_DAYS: undefined keeps audit events for ever. */
  auditRetentionDays?: number;
  /** The embedded database is one process with one connection: no lock to take, and no connection to hold. */
  embedded?: boolean;
}

export interface HousekeepingRun {
  /** False when another instance held the lock: it does the work. */
  ran: boolean;
  deleted: Record<string, number>;
  batches: number;
}

function kinds(options: HousekeepingOptions): ExpiredKind[] {
  const all = [...KINDS];
  if (options.auditRetentionDays !== undefined) {
    all.push({ name: 'audit_events', table: 'audit_events', where: `inserted_at < now() - make_interval(days => ${Math.floor(options.auditRetentionDays)})` });
  }
  return all;
}

/**
 * Removes every expired row of every kind, `batch` rows per statement until a statement finds fewer: each statement
 * is its own short transaction, and rows another transaction holds are skipped (SKIP LOCKED), so a hot table never
 * waits on housekeeping for longer than one batch.
 */
export async function removeExpired(pool: Pool, options: HousekeepingOptions = {}, log?: Logger): Promise<HousekeepingRun> {
  const batch = options.batch ?? DEFAULT_BATCH;
  const result: HousekeepingRun = { ran: false, deleted: {}, batches: 0 };
  const run = async (query: (sql: string, params: unknown[]) => Promise<number>) => {
    result.ran = true;
    for (const kind of kinds(options)) {
      let deleted = 0;
      for (;;) {
        const n = await query(
          `DELETE FROM ${kind.table} WHERE ctid = ANY(ARRAY(
             SELECT ctid FROM ${kind.table} WHERE ${kind.where} LIMIT $1 FOR UPDATE SKIP LOCKED))`,
          [batch],
        );
        result.batches++;
        deleted += n;
        if (n < batch) break;
        // Let the requests of this instance in between the batches.
        await new Promise((resolve) => setImmediate(resolve));
      }
      result.deleted[kind.name] = deleted;
      if (deleted) log?.info({ kind: kind.name, deleted }, 'removed expired rows');
    }
  };
  if (options.embedded) {
    await run(async (sql, params) => (await pool.query(sql, params)).rowCount ?? 0);
    return result;
  }
  const client: PoolClient = await pool.connect();
  try {
    const { rows } = await client.query('SELECT pg_try_advisory_lock($1) AS locked', [HOUSEKEEPING_LOCK]);
    if (!rows[0].locked) return result;
    try {
      await run(async (sql, params) => (await client.query(sql, params)).rowCount ?? 0);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [HOUSEKEEPING_LOCK]);
    }
  } finally {
    client.release();
  }
  return result;
}
