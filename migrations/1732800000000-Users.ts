import type { MigrationInterface, QueryRunner } from 'typeorm';

// Users managed through /api (CONTRACT §8): a user may have no password yet (a setup link is pending), a block reason
// and the time of the last sign-in; single-use password setup links stored only as HMACs; indexes for every filter
// of GET /api/users; and the built-ins user:read and user:write for every existing ADMIN client (CONTRACT §5).
const NEW_BUILTINS: Array<[string, string]> = [
  ['user:read', 'Read users, their memberships and grants'],
  ['user:write', 'Create, change, block and delete users; manage memberships, grants and password resets'],
];

export class Users1732800000000 implements MigrationInterface {
  name = 'Users1732800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE users ALTER COLUMN password_hash DROP NOT NULL');
    await q.query('ALTER TABLE users ADD COLUMN block_reason text');
    await q.query('ALTER TABLE users ADD COLUMN last_sign_in_at timestamptz');
    await q.query('CREATE INDEX users_order_idx ON users (inserted_at, id)');
    await q.query('CREATE INDEX users_blocked_idx ON users (is_blocked, inserted_at, id)');
    // Substring search by email is a trigram index where pg_trgm can be had (a trusted extension since PostgreSQL 13,
    // loaded into the embedded PGlite too); a role that may not create it, or a server without it, still migrates and
    // the search works as a scan.
    await q.query(`DO $$ BEGIN CREATE EXTENSION IF NOT EXISTS pg_trgm;
      EXCEPTION WHEN insufficient_privilege OR undefined_file OR feature_not_supported THEN NULL; END $$`);
    if ((await q.query(`SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'`)).length) {
      await q.query('CREATE INDEX users_email_trgm_idx ON users USING gin (email gin_trgm_ops)');
    }
    await q.query('CREATE INDEX memberships_client_order_idx ON memberships (client_id, user_id)');
    await q.query(`
      CREATE TABLE password_setups (
        token_hash text PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        expires_at timestamptz NOT NULL,
        used_at timestamptz,
        inserted_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query('CREATE INDEX password_setups_user_idx ON password_setups (user_id)');
    await q.query('CREATE INDEX password_setups_expires_idx ON password_setups (expires_at)');
    for (const [name, description] of NEW_BUILTINS) {
      await q.query('INSERT INTO permissions (name, description, is_builtin) VALUES ($1, $2, true) ON CONFLICT (name) DO NOTHING', [name, description]);
    }
    await q.query(
      `UPDATE clients SET permissions = permissions || ARRAY(SELECT unnest($1::text[]) EXCEPT SELECT unnest(permissions)),
         updated_at = now() WHERE client_type = 'ADMIN'`,
      [NEW_BUILTINS.map(([name]) => name)],
    );
    // Administrators (members of an ADMIN client who may change clients and the catalog, as admin:bootstrap makes
    // them) get the new scopes too: otherwise no one could open the Users pages or grant them to anyone.
    await q.query(
      `UPDATE memberships m SET scopes = m.scopes || ARRAY(SELECT unnest($1::text[]) EXCEPT SELECT unnest(m.scopes))
       FROM clients c WHERE c.id = m.client_id AND c.client_type = 'ADMIN' AND m.scopes @> ARRAY['client:write', 'permission:write']`,
      [NEW_BUILTINS.map(([name]) => name)],
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`UPDATE clients SET permissions = ARRAY(SELECT unnest(permissions) EXCEPT SELECT unnest($1::text[]))
      WHERE client_type = 'ADMIN'`, [NEW_BUILTINS.map(([name]) => name)]);
    await q.query('DELETE FROM permissions WHERE name = ANY($1::text[])', [NEW_BUILTINS.map(([name]) => name)]);
    await q.query('DROP TABLE password_setups');
    await q.query('DROP INDEX memberships_client_order_idx');
    await q.query('DROP INDEX IF EXISTS users_email_trgm_idx');
    await q.query('DROP INDEX users_blocked_idx');
    await q.query('DROP INDEX users_order_idx');
    await q.query('ALTER TABLE users DROP COLUMN last_sign_in_at');
    await q.query('ALTER TABLE users DROP COLUMN block_reason');
  }
}
