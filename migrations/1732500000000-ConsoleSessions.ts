import type { MigrationInterface, QueryRunner } from 'typeorm';

// The admin console's sign-ins in progress and its sessions. In the database, not in memory, because any
// instance on the same database may serve any step (CONTRACT §1 "several instances"). Only hashes of the
// cookie values are kept, so reading this table does not let anyone sign in.
export class ConsoleSessions1732500000000 implements MigrationInterface {
  name = 'ConsoleSessions1732500000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE console_logins (
        state_hash text PRIMARY KEY,
        code_verifier text NOT NULL,
        return_to text NOT NULL,
        expires_at timestamptz NOT NULL
      )`);
    await q.query('CREATE INDEX console_logins_expiry_idx ON console_logins (expires_at)');
    await q.query(`
      CREATE TABLE console_sessions (
        id_hash text PRIMARY KEY,
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        scopes text[] NOT NULL,
        csrf_secret text NOT NULL,
        inserted_at timestamptz NOT NULL DEFAULT now(),
        expires_at timestamptz NOT NULL
      )`);
    await q.query('CREATE INDEX console_sessions_expiry_idx ON console_sessions (expires_at)');
    await q.query('CREATE INDEX console_sessions_user_idx ON console_sessions (user_id)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE console_sessions');
    await q.query('DROP TABLE console_logins');
  }
}
