// The lock order of a redemption against a concurrent replay's revocation (CONTRACT §3 "Replays under concurrency"),
// scripted on real PostgreSQL so the interleaving that deadlocked in CI happens every time:
//   W redeems the code and has not committed; L (a replay) holds the grant FOR UPDATE and will delete the grant's
//   rows; R, a third exchange of the same code, starts. When W commits, R re-checks the code row. R must not hold
//   the code row while it waits for the grant, or L's delete and R wait for each other ("deadlock detected", a 500).
import pg from 'pg';
import { TokenStore } from '../src/oidc/tokenStore.js';
import { startServer, type TestServer } from './support/server.js';

let server: TestServer;
let pool: pg.Pool;

beforeAll(async () => {
  server = await startServer();
  pool = new pg.Pool({ connectionString: server.databaseUrl, max: 2 });
});

afterAll(async () => {
  await pool.end();
  await server.stop();
});

async function client(): Promise<pg.Client & { pid: number }> {
  const c = new pg.Client({ connectionString: server.databaseUrl });
  await c.connect();
  const { rows } = await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  return Object.assign(c, { pid: rows[0].pid });
}

/** Resolves once the backend `pid` is waiting for a lock. */
async function blocked(pid: number): Promise<void> {
  for (;;) {
    const { rows } = await pool.query(`SELECT 1 FROM pg_stat_activity WHERE pid = $1 AND wait_event_type = 'Lock'`, [pid]);
    if (rows.length) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('a redemption waiting behind a replay revocation takes the grant before the code row, so neither deadlocks', async () => {
  const grantId = 'grant-lock-order';
  const codeId = 'code-lock-order';
  const insert = `INSERT INTO oidc_payloads (model, id, payload, grant_id, expires_at) VALUES ($1, $2, $3::jsonb, $4, now() + interval '1 hour')`;
  await pool.query(insert, ['Grant', grantId, JSON.stringify({ jti: grantId }), null]);
  await pool.query(insert, ['AuthorizationCode', codeId, JSON.stringify({ jti: codeId, grantId }), grantId]);

  const winner = await client();
  const replay = await client();
  const redeemerPool = new pg.Pool({ connectionString: server.databaseUrl, max: 1 });
  const redeemerPid = (await redeemerPool.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0].pid;
  try {
    await winner.query('BEGIN');
    await winner.query(`UPDATE oidc_payloads SET consumed_at = now() WHERE model = 'AuthorizationCode' AND id = $1`, [codeId]);
    await replay.query('BEGIN');
    await replay.query(`SELECT 1 FROM oidc_payloads WHERE model = 'Grant' AND id = $1 FOR UPDATE`, [grantId]);

    const store = new TokenStore(redeemerPool);
    const redeeming = store.redeemAndIssue({ model: 'AuthorizationCode', id: codeId }, {
      model: 'AccessToken', id: 'at-lock-order', payload: { jti: 'at-lock-order', grantId, kind: 'AccessToken' } as never,
      expiresIn: 60, connectionId: null, consumerId: null, secretHash: null, permissions: null,
    });
    const outcome = redeeming.then((r) => ({ r }), (e: Error) => ({ e }));
    await blocked(redeemerPid);
    await winner.query('COMMIT');
    // The redemption re-checks the code (now consumed) and waits for the grant; the replay then deletes the grant's rows.
    await new Promise((resolve) => setTimeout(resolve, 100));
    await blocked(redeemerPid);
    const deleting = replay.query(`DELETE FROM oidc_payloads WHERE grant_id = $1 OR (model = 'Grant' AND id = $1)`, [grantId]);
    const deleted = await deleting.then(() => null, (e: Error) => e);
    await replay.query(deleted ? 'ROLLBACK' : 'COMMIT');
    expect(deleted).toBeNull();
    expect(await outcome).toEqual({ r: 'replayed' });
    const { rows } = await pool.query(`SELECT model FROM oidc_payloads WHERE grant_id = $1 OR id = $1`, [grantId]);
    expect(rows).toEqual([]);
  } finally {
    await winner.end();
    await replay.end();
    await redeemerPool.end();
  }
});
