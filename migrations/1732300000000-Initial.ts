import type { MigrationInterface, QueryRunner } from 'typeorm';

// Built-in permissions of CONTRACT §5; the catalog may grow through POST /api/permissions.
const BUILTIN_PERMISSIONS: Array<[string, string]> = [
  ['client:read', 'Read clients'],
  ['client:write', 'Rename, block and unblock clients'],
  ['connection:read', 'Read connections'],
  ['connection:write', 'Change the redirect URI of connections'],
  ['connection:refresh_secret', 'Refresh the secret of connections'],
  ['connection:delete', 'Delete connections and refresh their secrets'],
  ['service:read', 'Read services'],
  ['service:write', 'Create, change and delete services and regenerate their secrets'],
  ['printer:read', 'Read the printers of print services'],
  ['printer:write', 'Assign, rename, toggle and remove printers'],
  ['printer:report', 'Report the printers a print service sees'],
  ['permission:write', 'Add permissions to the catalog'],
  ['token:introspect', 'Introspect tokens (RFC 7662)'],
  ['audit:read', 'Read the audit log'],
];

export class Initial1732300000000 implements MigrationInterface {
  name = 'Initial1732300000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE permissions (
        name text PRIMARY KEY,
        description text NOT NULL,
        is_builtin boolean NOT NULL DEFAULT false,
        inserted_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE clients (
        id text PRIMARY KEY,
        name text NOT NULL,
        client_type text NOT NULL CHECK (client_type IN ('ADMIN','MIS','MSP','PHARMACY','PRINT_SERVICE','INTEGRATION')),
        permissions text[] NOT NULL DEFAULT '{}',
        is_blocked boolean NOT NULL DEFAULT false,
        block_reason text,
        inserted_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query('CREATE INDEX clients_order_idx ON clients (inserted_at, id)');
    await q.query('CREATE INDEX clients_type_idx ON clients (client_type, inserted_at, id)');
    await q.query(`
      CREATE TABLE connections (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        client_id text NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
        consumer_id text NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
        redirect_uri text,
        secret_hash text NOT NULL,
        inserted_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT connections_client_consumer_key UNIQUE (client_id, consumer_id)
      )`);
    // The authorization endpoint finds a connection by (client_id, redirect_uri), the token endpoint by
    // (client_id, secret_hash): both are single index probes whatever the number of connections (CONTRACT §3).
    await q.query(`CREATE UNIQUE INDEX connections_client_redirect_key ON connections (client_id, redirect_uri)
                   WHERE redirect_uri IS NOT NULL`);
    await q.query('CREATE UNIQUE INDEX connections_secret_key ON connections (client_id, secret_hash)');
    await q.query('CREATE INDEX connections_consumer_idx ON connections (consumer_id)');
    await q.query('CREATE INDEX connections_order_idx ON connections (client_id, inserted_at, id)');
    await q.query(`
      CREATE TABLE users (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        email text NOT NULL,
        name text NOT NULL DEFAULT '',
        password_hash text NOT NULL,
        is_blocked boolean NOT NULL DEFAULT false,
        inserted_at timestamptz NOT NULL DEFAULT now(),
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query('CREATE UNIQUE INDEX users_email_key ON users (lower(email))');
    await q.query(`
      CREATE TABLE memberships (
        user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        client_id text NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
        scopes text[] NOT NULL DEFAULT '{}',
        inserted_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (user_id, client_id)
      )`);
    await q.query('CREATE INDEX memberships_client_idx ON memberships (client_id)');
    await q.query(`
      CREATE TABLE oidc_payloads (
        model text NOT NULL,
        id text NOT NULL,
        payload jsonb NOT NULL,
        grant_id text,
        uid text,
        user_code text,
        client_id text,
        connection_id uuid,
        consumer_id text,
        expires_at timestamptz,
        consumed_at timestamptz,
        PRIMARY KEY (model, id)
      )`);
    await q.query('CREATE INDEX oidc_payloads_grant_idx ON oidc_payloads (grant_id) WHERE grant_id IS NOT NULL');
    await q.query('CREATE INDEX oidc_payloads_uid_idx ON oidc_payloads (uid) WHERE uid IS NOT NULL');
    await q.query('CREATE INDEX oidc_payloads_user_code_idx ON oidc_payloads (user_code) WHERE user_code IS NOT NULL');
    await q.query('CREATE INDEX oidc_payloads_expires_idx ON oidc_payloads (expires_at) WHERE expires_at IS NOT NULL');
    await q.query('CREATE INDEX oidc_payloads_connection_idx ON oidc_payloads (connection_id) WHERE connection_id IS NOT NULL');
    await q.query('CREATE INDEX oidc_payloads_client_idx ON oidc_payloads (client_id) WHERE client_id IS NOT NULL');
    await q.query(`
      CREATE TABLE settings (
        key text PRIMARY KEY,
        value jsonb NOT NULL,
        inserted_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE audit_events (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        actor_type text NOT NULL,
        actor_id text,
        action text NOT NULL,
        target_type text NOT NULL,
        target_id text NOT NULL,
        request_id text,
        details jsonb NOT NULL DEFAULT '{}',
        inserted_at timestamptz NOT NULL DEFAULT clock_timestamp()
      )`);
    await q.query('CREATE INDEX audit_events_order_idx ON audit_events (inserted_at, id)');
    await q.query('CREATE INDEX audit_events_target_idx ON audit_events (target_id, inserted_at)');
    await q.query('CREATE INDEX audit_events_actor_idx ON audit_events (actor_id, inserted_at)');
    await q.query('CREATE INDEX audit_events_action_idx ON audit_events (action, inserted_at)');
    for (const [name, description] of BUILTIN_PERMISSIONS) {
      await q.query('INSERT INTO permissions (name, description, is_builtin) VALUES ($1, $2, true)', [name, description]);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['audit_events', 'settings', 'oidc_payloads', 'memberships', 'users', 'connections', 'clients', 'permissions']) {
      await q.query(`DROP TABLE ${table}`);
    }
  }
}
