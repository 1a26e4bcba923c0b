// What each server needs before the rounds: clients, connections and a user on Gatehouse (through the internal
// listener, CONTRACT §6, as an operator would; the bulk through one INSERT … SELECT each), and the credentials
// and request paths every scenario uses, in the same shape for Gatehouse and the baseline.
import pg from 'pg';
import { BASELINE_CLIENT, BENCH_EMAIL, BENCH_PASSWORD } from './fixtures.js';
import { type FlowClient, authorizationUrl, basicAuth, postForm } from './flows.js';
import type { RunningServer } from './servers.js';

export interface Target {
  server: RunningServer;
  /** client_credentials: the Basic header of a client that may use it. */
  ccBasic: string;
  /** Code exchange and refresh: the client, one of its redirect URIs, the consumer's credentials. */
  flow: FlowClient;
  /** Introspection: the caller's Basic header and an active access token to ask about. */
  introspectBasic: string;
  introspectToken: string;
  /** The authorization endpoint's first request for a client with 1 connection and with 100,000 (a path). */
  authOne: string;
  authBig: string;
  /** The client with 100,000 connections and one of its redirect URIs (Gatehouse only). */
  bigClient?: { id: string; redirectUri: string };
  /** GET /api/clients/{id}/connections (Gatehouse only). */
  api?: { path: string; token: string };
}

export const BIG_CLIENT_CONNECTIONS = 100_000;

async function internal(server: RunningServer, method: string, path: string, body: unknown) {
  const res = await fetch(`${server.internalUrl}${path}`, {
    method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
  });
  const json = await res.json() as { data: Record<string, unknown> };
  if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(json)}`);
  return json.data;
}

async function ccToken(url: string, basic: string, scope: string): Promise<string> {
  const body = new URLSearchParams({ grant_type: 'client_credentials', scope }).toString();
  return (await postForm(`${url}/token`, body, basic)).access_token as string;
}

export async function withDatabase<T>(url: string, work: (db: pg.Client) => Promise<T>): Promise<T> {
  const db = new pg.Client({ connectionString: url });
  await db.connect();
  try {
    return await work(db);
  } finally {
    await db.end();
  }
}

/** After a bulk insert: statistics, visibility map and hint bits set, and the WAL checkpointed, so the rounds
 * measure lookups rather than the aftermath of the insert. */
async function settle(db: pg.Client): Promise<void> {
  await db.query('VACUUM (ANALYZE) clients, connections');
  await db.query('CHECKPOINT').catch(() => undefined); // needs superuser or pg_checkpoint; best effort
}

/** EXPLAIN ANALYZE of the two connection lookups on the hot path (src/domain/connectionLookup.ts). */
export async function explainLookups(databaseUrl: string, clientId: string, redirectUri: string): Promise<string[]> {
  return withDatabase(databaseUrl, async (db) => {
    const joined = `SELECT c.id, c.client_type, c.permissions, k.id, k.consumer_id, k.redirect_uri, k.secret_hash
      FROM connections k JOIN clients c ON c.id = k.client_id AND NOT c.is_blocked`;
    const plans: string[] = [];
    for (const [where, value] of [['k.redirect_uri', redirectUri], ['k.secret_hash', 'no-such-hash']]) {
      const { rows } = await db.query(`EXPLAIN (ANALYZE, BUFFERS) ${joined} WHERE k.client_id = $1 AND ${where} = $2`, [clientId, value]);
      plans.push(rows.map((r) => r['QUERY PLAN']).join('\n'));
    }
    return plans;
  });
}

/**
 * 100,000 consumer clients and one connection to each from `bigClientId`, in two INSERT … SELECT statements.
 * Returns one of the big client's redirect URIs (from the middle of the index).
 */
async function seedBigClient(databaseUrl: string, bigClientId: string): Promise<string> {
  return withDatabase(databaseUrl, async (db) => {
    await db.query(`INSERT INTO clients (id, name, client_type, permissions)
      SELECT gen_random_uuid()::text, 'bench consumer ' || n, 'PHARMACY', '{}' FROM generate_series(1, $1) n`, [BIG_CLIENT_CONNECTIONS]);
    await db.query(`INSERT INTO connections (client_id, consumer_id, redirect_uri, secret_hash)
      SELECT $1, c.id, 'https://consumer-' || c.name_n || '.example/cb', gen_random_uuid()::text
      FROM (SELECT id, substr(name, 16) AS name_n FROM clients WHERE name LIKE 'bench consumer %') c`, [bigClientId]);
    await settle(db);
    return `https://consumer-${BIG_CLIENT_CONNECTIONS / 2}.example/cb`;
  });
}

/**
 * The scale run's extra data: each of the 100,000 consumer clients provides connections to the next 9, so the
 * database holds 100,000 clients and 1,000,000 connections. One INSERT … SELECT.
 */
export async function seedScale(databaseUrl: string): Promise<{ clients: number; connections: number }> {
  return withDatabase(databaseUrl, async (db) => {
    await db.query(`WITH c AS (SELECT id, row_number() OVER (ORDER BY id) AS rn, count(*) OVER () AS total
                               FROM clients WHERE name LIKE 'bench consumer %')
      INSERT INTO connections (client_id, consumer_id, redirect_uri, secret_hash)
      SELECT a.id, b.id, 'https://' || a.rn || '.provider.example/cb/' || k, gen_random_uuid()::text
      FROM c a CROSS JOIN generate_series(1, 9) k JOIN c b ON b.rn = (a.rn + k - 1) % a.total + 1`);
    await settle(db);
    const { rows } = await db.query('SELECT (SELECT count(*) FROM clients)::int AS clients, (SELECT count(*) FROM connections)::int AS connections');
    return rows[0];
  });
}

export async function seedGatehouse(server: RunningServer): Promise<Target> {
  const url = server.url;
  // client_credentials: a service with a self-connection (CONTRACT §2).
  const service = await internal(server, 'POST', '/internal/clients', {
    id: 'bench_service', name: 'Bench service', client_type: 'INTEGRATION', permissions: [BASELINE_CLIENT.scope],
  });
  const serviceSelf = await internal(server, 'PUT', `/internal/clients/${service.id}/connections`, { consumer_id: service.id });
  const ccBasic = basicAuth(String(service.id), String(serviceSelf.secret));
  // An ADMIN client introspects and reads connections.
  const admin = await internal(server, 'POST', '/internal/clients', { name: 'Bench admin', client_type: 'ADMIN' });
  const adminSelf = await internal(server, 'PUT', `/internal/clients/${admin.id}/connections`, { consumer_id: admin.id });
  const adminBasic = basicAuth(String(admin.id), String(adminSelf.secret));
  // The code flow: a client with one connection, used by another client (its consumer).
  const app = await internal(server, 'POST', '/internal/clients', { name: 'Bench app', client_type: 'MIS' });
  const consumer = await internal(server, 'POST', '/internal/clients', { name: 'Bench pharmacy', client_type: 'PHARMACY' });
  const redirectUri = BASELINE_CLIENT.redirectUri;
  const connection = await internal(server, 'PUT', `/internal/clients/${app.id}/connections`, { consumer_id: consumer.id, redirect_uri: redirectUri });
  await internal(server, 'POST', '/internal/users', {
    email: BENCH_EMAIL, password: BENCH_PASSWORD, name: 'Bench user', memberships: [{ client_id: app.id, scopes: [] }],
  });
  const big = await internal(server, 'POST', '/internal/clients', { name: 'Bench big client', client_type: 'MIS' });
  const bigRedirect = await seedBigClient(server.databaseUrl!, String(big.id));

  const flow: FlowClient = { issuer: url, clientId: String(app.id), redirectUri, basic: basicAuth(String(app.id), String(connection.secret)) };
  const apiToken = await ccToken(url, adminBasic, 'connection:read');
  return {
    server, ccBasic, flow,
    introspectBasic: adminBasic,
    introspectToken: await ccToken(url, ccBasic, BASELINE_CLIENT.scope),
    authOne: pathOf(authorizationUrl(flow, 'openid').url),
    authBig: pathOf(authorizationUrl({ ...flow, clientId: String(big.id), redirectUri: bigRedirect }, 'openid').url),
    bigClient: { id: String(big.id), redirectUri: bigRedirect },
    api: { path: `/api/clients/${app.id}/connections`, token: apiToken },
  };
}

export async function seedBaseline(server: RunningServer): Promise<Target> {
  const basic = basicAuth(BASELINE_CLIENT.id, BASELINE_CLIENT.secret);
  const flow: FlowClient = { issuer: server.url, clientId: BASELINE_CLIENT.id, redirectUri: BASELINE_CLIENT.redirectUri, basic };
  const auth = pathOf(authorizationUrl(flow, 'openid').url);
  return {
    server, ccBasic: basic, flow, introspectBasic: basic,
    introspectToken: await ccToken(server.url, basic, BASELINE_CLIENT.scope),
    authOne: auth,
    authBig: auth,
  };
}

function pathOf(url: string): string {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
}
