// CONTRACT §1 "embedded database: the same behaviour as on PostgreSQL for every route", for print jobs (§9): the
// in-process notifications wake a waiting claim, each job goes to one claim, and the document goes when it ends.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { type Gatehouse, startGatehouse } from '../src/app.js';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/log.js';
import { callerOfType } from './support/api.js';
import { PDF, claim, printService, reportJob, submit } from './support/printing.js';
import { TEST_PEPPER, type TestServer, freePort } from './support/server.js';

let dataDir: string;
let gatehouse: Gatehouse;
let server: TestServer;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-print-'));
  const [port, internalPort] = [await freePort(), await freePort()];
  const env = {
    DATA_DIR: dataDir, PORT: String(port), INTERNAL_PORT: String(internalPort), ISSUER: `http://127.0.0.1:${port}`,
    SECRET_PEPPER: TEST_PEPPER, PRINT_JOB_LEASE_SECONDS: '1',
  };
  gatehouse = await startGatehouse(loadConfig(env), createLogger('silent'));
  server = { gatehouse, url: env.ISSUER, internalUrl: gatehouse.internalUrl, databaseUrl: '', env, stop: () => gatehouse.close() };
}, 120_000);

afterAll(async () => {
  await gatehouse?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test('a waiting claim woken in process, exactly-once among concurrent claims, a lease that runs out, documents gone', async () => {
  expect(gatehouse.db.embedded).toBe(true);
  const admin = await callerOfType(server, 'ADMIN');
  const portal = await callerOfType(server, 'PHARMACY', { permissions: ['print:submit'] });
  const service = await printService(server, admin, { Local: 'online' });
  const printer = service.printers.Local.id;

  const started = Date.now();
  const waiting = claim(server, service.token, { wait: 6 });
  while (gatehouse.printQueue.waiting < 1) await new Promise((r) => setTimeout(r, 20));
  const job = (await submit(server, portal.token, printer)).body.data;
  expect((await waiting).body.data).toEqual([expect.objectContaining({ id: job.id, status: 'printing', document: PDF.toString('base64') })]);
  expect(Date.now() - started).toBeLessThan(5000);

  expect((await reportJob(server, service.token, job.id, { status: 'printed' })).status).toBe(200);

  // Concurrent claims share four jobs without overlap.
  const ids = await Promise.all([1, 2, 3, 4].map(async () => (await submit(server, portal.token, printer)).body.data.id as string));
  const claims = await Promise.all(Array.from({ length: 6 }, () => claim(server, service.token, { limit: 2 })));
  const claimed = claims.flatMap((r) => r.body.data.map((j: { id: string }) => j.id)).sort();
  expect(claimed).toEqual([...ids].sort());
  // One is not reported: its lease (1 s) runs out and it is queued again, to be claimed and printed.
  for (const id of ids.slice(1)) expect((await reportJob(server, service.token, id, { status: 'printed' })).status).toBe(200);
  expect((await claim(server, service.token, { wait: 5 })).body.data).toEqual([expect.objectContaining({ id: ids[0], attempts: 2 })]);
  expect((await reportJob(server, service.token, ids[0], { status: 'printed' })).status).toBe(200);
  const left = await gatehouse.db.dataSource.query(`SELECT count(*)::int AS n FROM print_jobs WHERE document IS NOT NULL`);
  expect(left[0].n).toBe(0);
});
