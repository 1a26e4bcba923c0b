import type { MigrationInterface, QueryRunner } from 'typeorm';

// End-user pages (CONTRACT §11, §3 "Logout"): a connection's post_logout_redirect_uri, the second factor (TOTP secret
// sealed with AES-256-GCM, hashed single-use recovery codes), the sessions of /account, and the built-in user:write
// (DELETE /api/users/{id}/mfa). Columns and the permission another migration may also add use IF NOT EXISTS / ON CONFLICT.
export class EndUser1733100000000 implements MigrationInterface {
  name = 'EndUser1733100000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE connections ADD COLUMN IF NOT EXISTS post_logout_redirect_uri text');
    // RP-initiated logout finds the connection by (client, post_logout_redirect_uri) with one index probe.
    await q.query(`CREATE INDEX IF NOT EXISTS connections_post_logout_idx ON connections (client_id, post_logout_redirect_uri)
      WHERE post_logout_redirect_uri IS NOT NULL`);
    await q.query('ALTER TABLE users ADD COLUMN IF NOT EXISTS mfa_secret text');
    await q.query('ALTER TABLE users ADD COLUMN IF NOT EXISTS mfa_pending_secret text');
    await q.query('ALTER TABLE users ADD COLUMN IF NOT EXISTS mfa_enabled_at timestamptz');
    // The last 30-second step whose code was accepted: a code is never accepted twice (RFC 6238 §5.2).
    await q.query('ALTER TABLE users ADD COLUMN IF NOT EXISTS mfa_last_step bigint');
    await q.query(`
      CREATE TABLE mfa_recovery_codes (
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        code_hash text NOT NULL,
        used_at timestamptz,
        PRIMARY KEY (user_id, code_hash)
      )`);
    await q.query(`
      CREATE TABLE account_sessions (
        id_hash text PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        csrf_secret text NOT NULL,
        inserted_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL
      )`);
    await q.query('CREATE INDEX account_sessions_expiry_idx ON account_sessions (expires_at)');
    await q.query('CREATE INDEX account_sessions_user_idx ON account_sessions (user_id)');
    // A new built-in (CONTRACT §5), held by every ADMIN client.
    await q.query(
      `INSERT INTO permissions (name, description, is_builtin) VALUES ('user:write', 'Manage users, their memberships, grants and second factor', true)
       ON CONFLICT (name) DO UPDATE SET is_builtin = true`,
    );
    await q.query(`UPDATE clients SET permissions = array_append(permissions, 'user:write')
      WHERE client_type = 'ADMIN' AND NOT ('user:write' = ANY(permissions))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE account_sessions');
    await q.query('DROP TABLE mfa_recovery_codes');
    for (const column of ['mfa_last_step', 'mfa_enabled_at', 'mfa_pending_secret', 'mfa_secret']) {
      await q.query(`ALTER TABLE users DROP COLUMN IF EXISTS ${column}`);
    }
    await q.query('DROP INDEX IF EXISTS connections_post_logout_idx');
    await q.query('ALTER TABLE connections DROP COLUMN IF EXISTS post_logout_redirect_uri');
  }
}
