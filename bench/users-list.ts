// GET /api/users with 100,000 users (issue 11, CONTRACT §8): p50 and p99 of each filter with an ADMIN token, and of
// a non-ADMIN caller's list (members of its own client), against GET /health/live in the same run. The users and
// their memberships are seeded with generate_series in two INSERT … SELECT statements; every filter is indexed
// (migrations/1732800000000-Users.ts), and the plans of the page and count statements are printed (EXPLAIN ANALYZE).
//   npx tsx bench/users-list.ts        BENCH_SECONDS (default 10), BENCH_CONNECTIONS (default 10), BENCH_USERS (100000)
import { createRequire } from 'node:module';
import pg from 'pg';
import { startGatehouse } from './servers.js';

interface CannonRequest { method: string; path: string; headers: Record<string, string> }
interface CannonResult { requests: { average: number; total: number }; latency: { p50: number; p99: number }; errors: number; timeouts: number; non2xx: number }
// autocannon ships no types; this is the part of its programmatic API used here.
const autocannon = createRequire(import.meta.url)('autocannon') as (o: {
  url: string; connections: number; duration: number; requests: CannonRequest[]; timeout?: number;
}) => Promise<CannonResult>;

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const USERS = Number(process.env.BENCH_USERS ?? 100_000);
const CLIENTS = 10;

async function internal(base: string, method: string, p: string, body: unknown) {
  const res = await fetch(`${base}${p}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${method} ${p} → ${res.status} ${await res.text()}`);
  return ((await res.json()) as { data: Record<string, string> }).data;
}

async function token(url: string, clientId: string, secret: string, scope: string): Promise<string> {
  const res = await fetch(`${url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope }),
  });
  const body = (await res.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`no token: ${JSON.stringify(body)}`);
  return body.access_token;
}

/**
 * An ADMIN client and CLIENTS MIS clients (the first with user:read), then USERS users: user N is
 * `user<N>@hospital-<N mod 50>.example`, a member of MIS client N mod CLIENTS, and blocked when N mod 100 = 0.
 */
async function seed(server: { url: string; internalUrl: string; databaseUrl: string }) {
  const admin = await internal(server.internalUrl, 'POST', '/internal/clients', { name: 'Bench admin', client_type: 'ADMIN' });
  const adminSelf = await internal(server.internalUrl, 'PUT', `/internal/clients/${admin.id}/connections`, { consumer_id: admin.id });
  const clients: string[] = [];
  for (let i = 0; i < CLIENTS; i++) {
    clients.push((await internal(server.internalUrl, 'POST', '/internal/clients', { name: `MIS ${i}`, client_type: 'MIS', permissions: ['user:read'] })).id);
  }
  const misSelf = await internal(server.internalUrl, 'PUT', `/internal/clients/${clients[0]}/connections`, { consumer_id: clients[0] });
  const db = new pg.Client({ connectionString: server.databaseUrl });
  await db.connect();
  try {
    const started = Date.now();
    await db.query(
      `INSERT INTO users (email, name, password_hash, is_blocked, inserted_at, updated_at)
       SELECT 'user' || n || '@hospital-' || (n % 50) || '.example', 'User ' || n, NULL, n % 100 = 0,
              now() - make_interval(secs => $1 - n), now()
       FROM generate_series(1, $1) AS n`,
      [USERS],
    );
    await db.query(
      `INSERT INTO memberships (user_id, client_id, scopes)
       SELECT u.id, ($2::text[])[1 + (substring(u.email from 5 for position('@' in u.email) - 5)::int % $1)], '{}'
       FROM users u WHERE u.email LIKE 'user%@hospital-%'`,
      [CLIENTS, clients],
    );
    // What autovacuum does after a bulk load: statistics, and the visibility map that lets counts read only indexes.
    await db.query('VACUUM ANALYZE users');
    await db.query('VACUUM ANALYZE memberships');
    console.error(`seeded ${USERS} users and their memberships in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await db.end();
  }
  return {
    adminToken: await token(server.url, admin.id, adminSelf.secret, 'user:read'),
    misToken: await token(server.url, clients[0], misSelf.secret, 'user:read'),
    clientId: clients[3],
  };
}

interface Row { scenario: string; total: number; rps: number; p50: number; p99: number; requests: number; errors: number }

async function measure(scenario: string, url: string, request: CannonRequest, seconds = SECONDS): Promise<Row> {
  const first = (await (await fetch(`${url}${request.path}`, { headers: request.headers })).json()) as { paging?: { total_entries: number } };
  const r = await autocannon({ url, connections: CONNECTIONS, duration: seconds, requests: [request], timeout: 10 });
  return {
    scenario, total: first.paging?.total_entries ?? 0, rps: Math.round(r.requests.average), p50: r.latency.p50, p99: r.latency.p99,
    requests: r.requests.total, errors: r.errors + r.timeouts + r.non2xx,
  };
}

/** How PostgreSQL answers a list's page query (the statement listUsers sends, src/domain/users.ts). */
async function plans(databaseUrl: string, clientId: string): Promise<void> {
  const db = new pg.Client({ connectionString: databaseUrl });
  await db.connect();
  const columns = 'users.id, users.email, users.name, users.is_blocked, users.block_reason, users.last_sign_in_at, users.inserted_at, users.updated_at';
  const cases: Array<[string, string, unknown[]]> = [
    ['no filter', '', []],
    ['email', 'WHERE email ILIKE $1', ['%user4242@%']],
    ['client_id', 'JOIN memberships m0 ON m0.user_id = users.id AND m0.client_id = $1', [clientId]],
    ['is_blocked', 'WHERE is_blocked = $1', [true]],
  ];
  try {
    for (const [name, where, values] of cases) {
      const n = values.length;
      const explain = 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON)';
      const page = await db.query(`${explain} SELECT ${columns} FROM users ${where} ORDER BY users.inserted_at, users.id LIMIT $${n + 1} OFFSET $${n + 2}`, [...values, 50, 0]);
      const count = await db.query(`${explain} SELECT count(*) FROM users ${where}`, values);
      const text = (r: { rows: Array<Record<string, string>> }) => r.rows.map((row) => row['QUERY PLAN']).join('\n');
      console.log(`\n-- ${name}: page\n${text(page)}\n-- ${name}: count\n${text(count)}`);
    }
  } finally {
    await db.end();
  }
}

async function main(): Promise<void> {
  const server = await startGatehouse({ label: 'users' });
  try {
    const { adminToken, misToken, clientId } = await seed(server);
    const as = (t: string, path: string): CannonRequest => ({ method: 'GET', path, headers: { authorization: `Bearer ${t}` } });
    await measure('warm-up', server.url, as(adminToken, '/api/users'), 2);
    const rows = [
      await measure('GET /health/live (baseline)', server.url, { method: 'GET', path: '/health/live', headers: {} }),
      await measure('GET /api/users (no filter, page 1 of 50)', server.url, as(adminToken, '/api/users')),
      await measure('GET /api/users?page=1000 (deep page)', server.url, as(adminToken, '/api/users?page=1000&page_size=100')),
      await measure('GET /api/users?email=user4242@ (one match)', server.url, as(adminToken, '/api/users?email=user4242%40')),
      await measure('GET /api/users?email=hospital-7. (2,000 matches)', server.url, as(adminToken, '/api/users?email=hospital-7.')),
      await measure('GET /api/users?client_id=… (10,000 members)', server.url, as(adminToken, `/api/users?client_id=${clientId}`)),
      await measure('GET /api/users?is_blocked=true (1,000)', server.url, as(adminToken, '/api/users?is_blocked=true')),
      await measure('GET /api/users?client_id=…&is_blocked=false&email=hospital-3', server.url,
        as(adminToken, `/api/users?client_id=${clientId}&is_blocked=false&email=hospital-3`)),
      await measure('GET /api/users, MIS token (its 10,000 members)', server.url, as(misToken, '/api/users')),
    ];
    console.log(`\n${USERS} users, ${CONNECTIONS} connections, ${SECONDS} s each, Node ${process.version}\n`);
    console.log('| scenario | matches | req/s | p50 ms | p99 ms | requests | errors |');
    console.log('|---|---:|---:|---:|---:|---:|---:|');
    for (const r of rows) console.log(`| ${r.scenario} | ${r.total} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.requests} | ${r.errors} |`);
    await plans(server.databaseUrl, clientId);
  } finally {
    await server.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
