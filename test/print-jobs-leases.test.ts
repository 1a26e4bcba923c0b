// CONTRACT §9 leases, with PRINT_JOB_LEASE_SECONDS=1: a claimed job not reported in time is queued again (and a
// claim waiting for it gets it), after its third claim it is failed with "lease expired" and its document deleted.
import { ConfigError, loadConfig } from '../src/config.js';
import { type ApiCaller, api, callerOfType } from './support/api.js';
import { PDF, type PrintService, claim, printService, reportJob, submit } from './support/printing.js';
import { startServer, type TestServer } from './support/server.js';

let server: TestServer;
let admin: ApiCaller;
let portal: ApiCaller;
let service: PrintService;

beforeAll(async () => {
  server = await startServer({ env: { PRINT_JOB_LEASE_SECONDS: '1' } });
  admin = await callerOfType(server, 'ADMIN');
  portal = await callerOfType(server, 'PHARMACY', { permissions: ['print:submit'] });
  service = await printService(server, admin, { Slow: 'online', Other: 'online' });
});
afterAll(() => server?.stop());

const jobOf = async (id: string) => (await api(server, 'GET', `/api/print_jobs/${id}`, { token: portal.token })).body.data;
const documentOf = async (id: string): Promise<Buffer | null> =>
  (await server.gatehouse.db.dataSource.query('SELECT document FROM print_jobs WHERE id = $1', [id]))[0].document;

/** The job once its status is `status`, polling for at most 5 s (a lease of 1 s, swept every 250 ms). */
async function until(id: string, status: string) {
  for (let i = 0; i < 100; i++) {
    const job = await jobOf(id);
    if (job.status === status) return job;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`job ${id} never became ${status}: ${JSON.stringify(await jobOf(id))}`);
}

test('an unreported claim returns to the queue; the third runs out and fails the job with "lease expired"', async () => {
  const { id } = (await submit(server, portal.token, service.printers.Slow.id)).body.data;
  expect((await claim(server, service.token)).body.data).toEqual([expect.objectContaining({ id, attempts: 1 })]);
  expect(await until(id, 'queued')).toMatchObject({ status: 'queued', attempts: 1, error: null });
  expect(await documentOf(id)).toEqual(PDF);
  // The first claim's report comes too late: the job is no longer being printed.
  expect((await reportJob(server, service.token, id, { status: 'printed' })).status).toBe(409);

  expect((await claim(server, service.token)).body.data).toEqual([expect.objectContaining({ id, attempts: 2 })]);
  // A claim that waits gets the job when its lease runs out and it is queued again.
  const started = Date.now();
  const third = await claim(server, service.token, { wait: 6 });
  expect(third.body.data).toEqual([expect.objectContaining({ id, attempts: 3, status: 'printing', document: PDF.toString('base64') })]);
  expect(Date.now() - started).toBeLessThan(5000);

  expect(await until(id, 'failed')).toMatchObject({ status: 'failed', error: 'lease expired', attempts: 3 });
  expect(await documentOf(id)).toBeNull();
  expect((await claim(server, service.token)).body.data).toEqual([]);
  const audit = await api(server, 'GET', `/api/audit_events?target_id=${id}&action=print_job.failed`, { token: admin.token });
  expect(audit.body.data).toEqual([expect.objectContaining({
    actor_type: 'client', actor_id: 'gatehouse', details: expect.objectContaining({ reason: 'lease expired', attempts: 3 }),
  })]);
});

test('jobs queued again together reach every claim waiting for them, not only the first one woken', async () => {
  const printer = service.printers.Slow.id;
  const ids = await Promise.all([1, 2, 3].map(async () => (await submit(server, portal.token, printer)).body.data.id as string));
  expect((await claim(server, service.token, { limit: 3 })).body.data).toHaveLength(3);
  // One sweep queues all three again with one notification for the service.
  const started = Date.now();
  const claims = await Promise.all([1, 2, 3].map(() => claim(server, service.token, { wait: 6, limit: 1 })));
  expect(claims.map((r) => r.body.data.length)).toEqual([1, 1, 1]);
  expect(claims.map((r) => r.body.data[0].id).sort()).toEqual([...ids].sort());
  expect(Date.now() - started).toBeLessThan(5000);
  for (const id of ids) await reportJob(server, service.token, id, { status: 'printed' });
});

test('a job reported within its lease stays as reported', async () => {
  const { id } = (await submit(server, portal.token, service.printers.Other.id)).body.data;
  await claim(server, service.token);
  expect((await reportJob(server, service.token, id, { status: 'printed' })).body.data).toMatchObject({ status: 'printed', attempts: 1 });
  await new Promise((r) => setTimeout(r, 1500));
  expect(await jobOf(id)).toMatchObject({ status: 'printed', attempts: 1 });
});

test('a lease that runs out on a printer disabled meanwhile cancels the job instead of queuing it', async () => {
  const printer = service.printers.Other.id;
  const { id } = (await submit(server, portal.token, printer)).body.data;
  await claim(server, service.token);
  await api(server, 'PATCH', `/api/services/${service.id}/printers/${printer}`, { token: admin.token, body: { enabled: false } });
  expect(await jobOf(id)).toMatchObject({ status: 'printing' });
  expect(await until(id, 'canceled')).toMatchObject({ status: 'canceled', attempts: 1 });
  expect(await documentOf(id)).toBeNull();
});

test('PRINT_JOB_LEASE_SECONDS defaults to 300; anything but a whole number of seconds from 1 is one line naming it', () => {
  expect(loadConfig({}).printJobLeaseSeconds).toBe(300);
  expect(loadConfig({ PRINT_JOB_LEASE_SECONDS: '1' }).printJobLeaseSeconds).toBe(1);
  for (const bad of ['0', '-1', '1.5', '5m', '86401']) {
    const err = (() => {
      try {
        loadConfig({ PRINT_JOB_LEASE_SECONDS: bad });
      } catch (e) {
        return e as ConfigError;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.problems).toEqual([expect.stringMatching(/^PRINT_JOB_LEASE_SECONDS: must be an integer from 1 to 86400/)]);
  }
});
