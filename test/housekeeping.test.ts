// CONTRACT §1 "housekeeping" and AUDIT_RETENTION_DAYS: every kind of expired row is removed, in batches, until none is
// left (a backlog of several batches goes in one run), live rows stay, one instance runs at a time, and audit events
// older than the retention go when it is set (and stay for ever when it is not).
import pg from 'pg';
import { HOUSEKEEPING_LOCK, removeExpired } from '../src/domain/housekeeping.js';
import { startServer, type TestServer } from './support/server.js';

const BATCH = 100;
const BACKLOG = 250; // more than two batches of each kind

let a: TestServer;
let b: TestServer;
let db: pg.Client;

beforeAll(async () => {
  const env = { HOUSEKEEPING_BATCH_SIZE: String(BATCH), AUDIT_RETENTION_DAYS: '30' };
  a = await startServer({ env });
  b = await startServer({ databaseUrl: a.databaseUrl, env });
  db = new pg.Client({ connectionString: a.databaseUrl });
  await db.connect();
});

afterAll(async () => {
  await db?.end();
  await b?.gatehouse.close();
  await a?.stop();
});

const count = async (sql: string) => Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${sql}`)).rows[0].n);

/** `n` expired and one live row of each kind that expires. */
async function seed(n: number): Promise<void> {
  for (const model of ['AuthorizationCode', 'AccessToken', 'RefreshToken', 'ClientCredentials', 'Session', 'Interaction', 'Grant']) {
    await db.query(
      `INSERT INTO oidc_payloads (model, id, payload, expires_at)
       SELECT $1, 'old-' || g, '{}', now() - interval '1 minute' FROM generate_series(1, $2) g`, [model, n],
    );
    await db.query(`INSERT INTO oidc_payloads (model, id, payload, expires_at) VALUES ($1, 'live', '{}', now() + interval '1 hour') ON CONFLICT DO NOTHING`, [model]);
  }
  await db.query(
    `INSERT INTO login_throttle (key, points, expire)
     SELECT 'old-' || g, 1, (extract(epoch from now()) * 1000)::bigint - 1000 FROM generate_series(1, $1) g`, [n],
  );
  await db.query(`INSERT INTO login_throttle (key, points, expire) VALUES ('live', 1, (extract(epoch from now()) * 1000)::bigint + 60000) ON CONFLICT DO NOTHING`);
  await db.query(
    `INSERT INTO console_logins (state_hash, code_verifier, return_to, expires_at)
     SELECT 'old-' || g, 'v', '/console', now() - interval '1 minute' FROM generate_series(1, $1) g`, [n],
  );
  await db.query(`INSERT INTO console_logins (state_hash, code_verifier, return_to, expires_at) VALUES ('live', 'v', '/console', now() + interval '1 hour') ON CONFLICT DO NOTHING`);
  const { rows: [user] } = await db.query<{ id: string }>(
    `INSERT INTO users (email, name, password_hash) VALUES ('keeper-' || md5(random()::text) || '@example.org', 'K', 'x') RETURNING id`,
  );
  await db.query(
    `INSERT INTO console_sessions (id_hash, user_id, scopes, csrf_secret, expires_at)
     SELECT 'old-' || g, $2, '{}', 'c', now() - interval '1 minute' FROM generate_series(1, $1) g`, [n, user.id],
  );
  await db.query(`INSERT INTO console_sessions (id_hash, user_id, scopes, csrf_secret, expires_at) VALUES ('live', $1, '{}', 'c', now() + interval '1 hour') ON CONFLICT DO NOTHING`, [user.id]);
  await db.query(
    `INSERT INTO account_sessions (id_hash, user_id, csrf_secret, expires_at)
     SELECT 'old-' || g, $2, 'c', now() - interval '1 minute' FROM generate_series(1, $1) g`, [n, user.id],
  );
  await db.query(`INSERT INTO account_sessions (id_hash, user_id, csrf_secret, expires_at) VALUES ('live', $1, 'c', now() + interval '1 hour') ON CONFLICT DO NOTHING`, [user.id]);
  await db.query(
    `INSERT INTO password_setups (token_hash, user_id, expires_at)
     SELECT 'old-' || g, $2, now() - interval '1 minute' FROM generate_series(1, $1) g`, [n, user.id],
  );
  await db.query(`INSERT INTO password_setups (token_hash, user_id, expires_at) VALUES ('live', $1, now() + interval '1 hour') ON CONFLICT DO NOTHING`, [user.id]);
}

test('every expired kind goes in one run, in batches, and live rows stay', async () => {
  await seed(BACKLOG);
  const run = await a.gatehouse.housekeeping();
  expect(run.ran).toBe(true);
  expect(run.deleted).toMatchObject({
    oidc_payloads: 7 * BACKLOG, login_throttle: BACKLOG, console_logins: BACKLOG, console_sessions: BACKLOG,
    account_sessions: BACKLOG, password_setups: BACKLOG,
  });
  // 7 × 250 oidc rows take 18 batches of 100; each other kind 3: the statements were bounded.
  expect(run.batches).toBeGreaterThanOrEqual(18 + 5 * 3);
  expect(await count('oidc_payloads WHERE expires_at < now()')).toBe(0);
  expect(await count("oidc_payloads WHERE id = 'live'")).toBe(7);
  expect(await count('login_throttle')).toBe(1);
  expect(await count('console_logins')).toBe(1);
  expect(await count('console_sessions')).toBe(1);
  expect(await count('account_sessions')).toBe(1);
  expect(await count('password_setups')).toBe(1);
});

test('one instance at a time: while another holds the lock, an instance leaves the work to it', async () => {
  await seed(10);
  const holder = new pg.Client({ connectionString: a.databaseUrl });
  await holder.connect();
  try {
    await holder.query('SELECT pg_advisory_lock($1)', [HOUSEKEEPING_LOCK]);
    const [ra, rb] = await Promise.all([a.gatehouse.housekeeping(), b.gatehouse.housekeeping()]);
    expect([ra.ran, rb.ran]).toEqual([false, false]);
    expect(await count("login_throttle WHERE key LIKE 'old-%'")).toBe(10);
    await holder.query('SELECT pg_advisory_unlock($1)', [HOUSEKEEPING_LOCK]);
  } finally {
    await holder.end();
  }
  // Two at once: whichever gets the lock does everything; the other, if it ran after, finds nothing.
  const runs = await Promise.all([a.gatehouse.housekeeping(), b.gatehouse.housekeeping()]);
  expect(runs.some((r) => r.ran)).toBe(true);
  const deleted = runs.reduce((sum, r) => sum + (r.deleted.login_throttle ?? 0), 0);
  expect(deleted).toBe(10);
  expect(await count("login_throttle WHERE key LIKE 'old-%'")).toBe(0);
});

test('the embedded database\'s way (no lock, each batch its own pooled query) removes the same', async () => {
  await seed(30);
  const run = await removeExpired(a.gatehouse.db.pool, { batch: 7, embedded: true });
  expect(run).toMatchObject({ ran: true, deleted: { oidc_payloads: 7 * 30, login_throttle: 30, console_logins: 30, console_sessions: 30, account_sessions: 30, password_setups: 30 } });
  expect(run.deleted.audit_events).toBeUndefined(); // no AUDIT_RETENTION_DAYS given
});

test('AUDIT_RETENTION_DAYS removes older audit events; without it they stay', async () => {
  await db.query(
    `INSERT INTO audit_events (actor_type, actor_id, action, target_type, target_id, details, inserted_at)
     VALUES ('client', 'x', 'test.old', 'client', 'x', '{}', now() - interval '31 days'),
            ('client', 'x', 'test.recent', 'client', 'x', '{}', now() - interval '29 days')`,
  );
  const kept = await startServer({ databaseUrl: a.databaseUrl });
  try {
    await kept.gatehouse.housekeeping();
    expect(await count("audit_events WHERE action LIKE 'test.%'")).toBe(2);
  } finally {
    await kept.gatehouse.close();
  }
  const run = await a.gatehouse.housekeeping();
  expect(run.deleted.audit_events).toBeGreaterThanOrEqual(1);
  expect((await db.query("SELECT action FROM audit_events WHERE action LIKE 'test.%'")).rows).toEqual([{ action: 'test.recent' }]);
});

test('bad values of the variables name them', async () => {
  const { loadConfig, ConfigError } = await import('../src/config.js');
  for (const [name, value] of [['AUDIT_RETENTION_DAYS', '0'], ['AUDIT_RETENTION_DAYS', 'ten'], ['HOUSEKEEPING_INTERVAL_SECONDS', '-1']]) {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    try {
      loadConfig({ [name]: value });
    } catch (err) {
      expect((err as InstanceType<typeof ConfigError>).problems).toEqual([expect.stringMatching(new RegExp(`^${name}: `))]);
    }
  }
});
