// Removal of expired rows (CONTRACT §1 "housekeeping").
import type { Pool } from 'pg';

/** Removes expired OIDC rows in batches; every instance may run it, the work is idempotent. */
export async function purgeExpired(pool: Pool, batch = 5000): Promise<number> {
  const { rowCount } = await pool.query(
    `DELETE FROM oidc_payloads WHERE ctid = ANY(ARRAY(
       SELECT ctid FROM oidc_payloads WHERE expires_at < now() LIMIT $1))`,
    [batch],
  );
  return rowCount ?? 0;
}
