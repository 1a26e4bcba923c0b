// CONTRACT §9 delivery, with two Gatehouse instances on one database: each job reaches exactly one claim however
// many processes of a print service claim at once through either instance; a job submitted on one instance ends a
// claim waiting on the other; a waiting claim holds no database connection; a closing instance answers its waiting
// claims at once; the instance that lost its LISTEN connection gets it back by itself.
import pg from 'pg';
import type { PgNotifications } from '../src/notifications.js';
import { type ApiCaller, callerOfType, api } from './support/api.js';
import { type PrintService, claim, printService, submit } from './support/printing.js';
import { startServer, type TestServer } from './support/server.js';

let a: TestServer;
let b: TestServer;
let admin: ApiCaller;
let portal: ApiCaller;
let service: PrintService;

beforeAll(async () => {
  a = await startServer();
  b = await startServer({ databaseUrl: a.databaseUrl });
  admin = await callerOfType(a, 'ADMIN');
  portal = await callerOfType(a, 'PHARMACY', { permissions: ['print:submit'] });
  service = await printService(a, admin, { One: 'online', Two: 'online' });
});
afterAll(async () => {
  await b?.stop();
  await a?.stop();
});

const printers = () => [service.printers.One.id, service.printers.Two.id];

/** Resolves once `server` has `n` claims waiting (a claim registers its wait only after its first look found nothing). */
async function waitingOn(server: TestServer, n: number): Promise<void> {
  for (let i = 0; i < 200 && server.gatehouse.printQueue.waiting < n; i++) await new Promise((r) => setTimeout(r, 25));
  expect(server.gatehouse.printQueue.waiting).toBe(n);
}

test('each job reaches exactly one claim: 8 claimers on two instances, 12 rounds of 20 jobs', async () => {
  const claimedBy = new Map<string, number>();
  for (let round = 0; round < 12; round++) {
    const submitted: string[] = [];
    let claimed = 0;
    // Half the claimers are already waiting when the jobs arrive, half look without waiting.
    const claimers = Array.from({ length: 8 }, async (_, k) => {
      const server = k % 2 ? b : a;
      while (claimed < 20) {
        const res = await claim(server, service.token, { wait: k < 4 ? 1 : 0, limit: 1 + (k % 3) });
        expect(res.status).toBe(200);
        for (const job of res.body.data as Array<{ id: string; status: string }>) {
          expect(job.status).toBe('printing');
          claimedBy.set(job.id, (claimedBy.get(job.id) ?? 0) + 1);
          claimed++;
        }
      }
    });
    await Promise.all(Array.from({ length: 20 }, async (_, i) => {
      const res = await submit(i % 2 ? b : a, portal.token, printers()[i % 2]);
      expect(res.status).toBe(201);
      submitted.push(res.body.data.id);
    }));
    await Promise.all(claimers);
    expect(submitted.every((id) => claimedBy.get(id) === 1)).toBe(true);
  }
  expect(claimedBy.size).toBe(240);
  expect([...claimedBy.values()].every((n) => n === 1)).toBe(true);
});

test('a job submitted on one instance ends a claim waiting on the other; the waiting claims hold no connection', async () => {
  const WAIT = 5;
  const started = Date.now();
  let arrived = Infinity;
  // More waiting claims than B has pool connections (4): none of them takes one, so B still answers at once.
  const waiting = Array.from({ length: 7 }, async () => {
    const res = await claim(b, service.token, { wait: WAIT });
    if (res.body.data.length) arrived = Date.now();
    return res;
  });
  await waitingOn(b, 7);
  const pool = b.gatehouse.db.pool;
  expect(pool.totalCount - pool.idleCount).toBe(0);
  expect((await api(b, 'GET', '/api/printers', { token: portal.token })).status).toBe(200);

  const job = (await submit(a, portal.token, printers()[0])).body.data;
  const answers = await Promise.all(waiting);
  expect(answers.flatMap((r) => r.body.data.map((j: { id: string }) => j.id))).toEqual([job.id]);
  // Only a notification brings it before the wait ends: without one, a claim looks again only after WAIT s.
  expect(arrived - started).toBeLessThan((WAIT - 1) * 1000);
});

test('a claim waiting on an instance that closes answers at once with nothing', async () => {
  const c = await startServer({ databaseUrl: a.databaseUrl });
  const started = Date.now();
  const waiting = claim(c, service.token, { wait: 20 });
  await waitingOn(c, 1);
  await c.stop();
  const res = await waiting;
  expect(res).toMatchObject({ status: 200, body: { data: [] } });
  expect(Date.now() - started).toBeLessThan(19_000);
});

test('an instance whose LISTEN connection is killed gets it back by itself and still wakes its claims', async () => {
  const notifications = b.gatehouse.notifications as PgNotifications;
  const admin = new pg.Client({ connectionString: a.databaseUrl });
  await admin.connect();
  try {
    const killed = await admin.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'gatehouse-listen'`,
    );
    expect(killed.rowCount).toBe(2);
    for (let i = 0; i < 100 && notifications.connected; i++) await new Promise((r) => setTimeout(r, 10));
    // Whether it is back already or still polling, a job submitted on A reaches the claim waiting on B.
    const started = Date.now();
    const waiting = claim(b, service.token, { wait: 8 });
    await waitingOn(b, 1);
    const job = (await submit(a, portal.token, printers()[1])).body.data;
    expect((await waiting).body.data.map((j: { id: string }) => j.id)).toEqual([job.id]);
    expect(Date.now() - started).toBeLessThan(7000);
    for (let i = 0; i < 200 && !notifications.connected; i++) await new Promise((r) => setTimeout(r, 25));
    expect(notifications.connected).toBe(true);
    const listening = await admin.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'gatehouse-listen'`,
    );
    expect(listening.rows[0].n).toBe(2);
  } finally {
    await admin.end();
  }
});

test('bursts of jobs reach every claim waiting on either instance, none waits for its claim to time out', async () => {
  const WAIT = 6;
  for (let round = 0; round < 10; round++) {
    const started = Date.now();
    const claims = Array.from({ length: 6 }, (_, k) => claim(k % 2 ? b : a, service.token, { wait: WAIT }));
    await Promise.all([a, b].map((server) => waitingOn(server, 3)));
    const ids = await Promise.all(Array.from({ length: 6 }, async (_, i) => (await submit(i % 2 ? a : b, portal.token, printers()[i % 2])).body.data.id));
    const got = (await Promise.all(claims)).map((r) => r.body.data.map((j: { id: string }) => j.id));
    expect(got.map((g) => g.length)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(got.flat().sort()).toEqual([...ids].sort());
    expect(Date.now() - started).toBeLessThan((WAIT - 1) * 1000);
  }
});
