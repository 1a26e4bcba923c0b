// CONTRACT §9, print jobs end to end over HTTP on real PostgreSQL: a portal prints on a printer an admin made
// available, the print service that owns it claims and reports; who sees what; canceling; what disabling or
// deleting a printer or its service does; and the document, which may hold health data, never reaching the
// logs or the audit log and being deleted when the job ends.
import { createLogger } from '../src/log.js';
import { type ApiCaller, api, callerOfType } from './support/api.js';
import { ISO, PDF, UUID, claim, printService, reportJob, submit } from './support/printing.js';
import { startServer, type TestServer } from './support/server.js';

let server: TestServer;
let admin: ApiCaller;
let portal: ApiCaller;
const logLines: string[] = [];

beforeAll(async () => {
  // Everything Gatehouse logs, at the most talkative level, through its own logger (redaction included).
  const log = createLogger('trace', { write: (line: string) => void logLines.push(line) });
  server = await startServer({ log });
  admin = await callerOfType(server, 'ADMIN');
  portal = await callerOfType(server, 'PHARMACY', { permissions: ['print:submit'] });
});
afterAll(() => server?.stop());

const adminApi = (method: string, path: string, body?: unknown) => api(server, method, path, { token: admin.token, body });
const documentOf = async (id: string): Promise<Buffer | null> =>
  (await server.gatehouse.db.dataSource.query('SELECT document FROM print_jobs WHERE id = $1', [id]))[0].document;

test('a portal prints on an available printer; the service that owns it claims, prints and reports', async () => {
  const service = await printService(server, admin, { HP_Reception: 'online', Zebra_Labels: 'offline' });
  const hp = service.printers.HP_Reception;

  // What one can print on now: the enabled, online printer, not the offline one.
  const printers = await api(server, 'GET', `/api/printers?service_id=${service.id}`, { token: portal.token });
  expect(printers.status).toBe(200);
  expect(printers.body).toEqual({
    data: [{ id: hp.id, name: 'HP_Reception friendly', service_id: service.id, status: 'online' }],
    paging: { page_number: 1, page_size: 50, total_entries: 1, total_pages: 1 },
  });

  const submitted = await submit(server, portal.token, hp.id, { copies: 2 });
  expect(submitted.status).toBe(201);
  const job = {
    id: UUID, printer_id: hp.id, service_id: service.id, title: 'Prescription 0001', content_type: 'application/pdf',
    size: PDF.length, copies: 2, status: 'queued', error: null, attempts: 0, submitted_by: portal.client.id,
    inserted_at: ISO, updated_at: ISO,
  };
  expect(submitted.body).toEqual({ data: job });
  const id = submitted.body.data.id as string;
  expect(await api(server, 'GET', `/api/print_jobs/${id}`, { token: portal.token })).toMatchObject({ status: 200, body: { data: job } });
  const mine = await api(server, 'GET', '/api/print_jobs', { token: portal.token });
  expect(mine.body.data.map((j: { id: string }) => j.id)).toContain(id);
  expect(await documentOf(id)).toEqual(PDF);

  // The service claims it: the only response that carries the document. Claimed once, never twice.
  const claimed = await claim(server, service.token, { limit: 10 });
  expect(claimed.status).toBe(200);
  expect(claimed.body).toEqual({ data: [{ ...job, status: 'printing', attempts: 1, updated_at: ISO, document: PDF.toString('base64') }] });
  expect((await claim(server, service.token)).body).toEqual({ data: [] });
  expect((await api(server, 'GET', `/api/print_jobs/${id}`, { token: portal.token })).body.data).toMatchObject({ status: 'printing', attempts: 1 });

  const printed = await reportJob(server, service.token, id, { status: 'printed' });
  expect(printed.status).toBe(200);
  expect(printed.body).toEqual({ data: { ...job, status: 'printed', attempts: 1, updated_at: ISO } });
  expect(await documentOf(id)).toBeNull();
  expect((await reportJob(server, service.token, id, { status: 'printed' })).status).toBe(409);

  // The audit log says who did what to which job, with type, size and copies: no document, no title.
  const audit = await adminApi('GET', `/api/audit_events?target_id=${id}`);
  expect(audit.body.data.map((e: { action: string; actor_id: string }) => [e.action, e.actor_id])).toEqual([
    ['print_job.submit', portal.client.id], ['print_job.printed', service.id],
  ]);
  expect(audit.body.data[0]).toMatchObject({
    actor_type: 'client', target_type: 'print_job',
    details: { printer_id: hp.id, service_id: service.id, content_type: 'application/pdf', size: PDF.length, copies: 2, attempts: 0 },
  });
  expect(audit.text).not.toContain('Prescription 0001');
});

test('a failed print keeps the service\'s error on the job, not in the audit log; the document goes', async () => {
  const service = await printService(server, admin, { Brother: 'online' });
  const { body } = await submit(server, portal.token, service.printers.Brother.id, { content_type: 'text/plain' }, Buffer.from('Rx 42\n'));
  await claim(server, service.token);
  const failed = await reportJob(server, service.token, body.data.id, { status: 'failed', error: 'paper jam in tray 2' });
  expect(failed.body.data).toMatchObject({ status: 'failed', error: 'paper jam in tray 2', size: 6, content_type: 'text/plain' });
  expect(await documentOf(body.data.id)).toBeNull();
  const audit = await adminApi('GET', `/api/audit_events?target_id=${body.data.id}&action=print_job.failed`);
  expect(audit.body.data).toHaveLength(1);
  expect(audit.text).not.toContain('paper jam');
});

test('a submitter sees its own jobs; an ADMIN with printer:read sees every job; a print service none of them', async () => {
  const service = await printService(server, admin, { Canon: 'online' });
  const other = await callerOfType(server, 'MSP', { permissions: ['print:submit'] });
  const mine = (await submit(server, portal.token, service.printers.Canon.id)).body.data;
  const theirs = (await submit(server, other.token, service.printers.Canon.id)).body.data;

  const listed = async (token: string, query = `?printer_id=${service.printers.Canon.id}`) =>
    (await api(server, 'GET', `/api/print_jobs${query}`, { token })).body.data.map((j: { id: string }) => j.id);
  expect(await listed(portal.token)).toEqual([mine.id]);
  expect(await listed(other.token)).toEqual([theirs.id]);
  expect(await listed(admin.token)).toEqual([mine.id, theirs.id]);
  expect(await listed(admin.token, `?service_id=${service.id}&status=queued`)).toEqual([mine.id, theirs.id]);
  expect(await listed(admin.token, `?service_id=${service.id}&status=printed`)).toEqual([]);
  expect(await listed(service.token)).toEqual([]);
  expect(await api(server, 'GET', `/api/print_jobs/${theirs.id}`, { token: portal.token })).toMatchObject({ status: 404, body: { error: { type: 'not_found' } } });
  expect((await api(server, 'GET', `/api/print_jobs/${theirs.id}`, { token: service.token })).status).toBe(404);
  expect((await api(server, 'GET', `/api/print_jobs/${theirs.id}`, { token: admin.token })).body.data).toEqual(theirs);
  // An ADMIN token without printer:read is only a submitter.
  const narrow = await callerOfType(server, 'ADMIN', { permissions: ['print:submit'], scopes: ['print:submit'] });
  expect(await listed(narrow.token)).toEqual([]);

  // A print service holding printer:read sees its own printers among those one can print on, no other service's.
  const printers = await api(server, 'GET', '/api/printers?page_size=100', { token: service.token });
  expect(printers.body.data.map((p: { service_id: string }) => p.service_id)).toEqual([service.id]);
  const everyone = await api(server, 'GET', '/api/printers?page_size=100', { token: portal.token });
  expect(new Set(everyone.body.data.map((p: { service_id: string }) => p.service_id)).size).toBeGreaterThan(1);
});

test('a job can be canceled while it is queued, by whoever may see it; then never again', async () => {
  const service = await printService(server, admin, { Epson: 'online' });
  const printer = service.printers.Epson.id;
  const queued = (await submit(server, portal.token, printer)).body.data;
  const other = await callerOfType(server, 'PHARMACY', { permissions: ['print:submit'] });
  expect(await api(server, 'POST', `/api/print_jobs/${queued.id}/actions/cancel`, { token: other.token }))
    .toMatchObject({ status: 404, body: { error: { type: 'not_found' } } });

  const canceled = await api(server, 'POST', `/api/print_jobs/${queued.id}/actions/cancel`, { token: portal.token });
  expect(canceled.status).toBe(200);
  expect(canceled.body).toEqual({ data: { ...queued, status: 'canceled', updated_at: ISO } });
  expect(await documentOf(queued.id)).toBeNull();
  const again = await api(server, 'POST', `/api/print_jobs/${queued.id}/actions/cancel`, { token: portal.token });
  expect(again).toMatchObject({ status: 409, body: { error: { type: 'conflict', message: expect.stringContaining('canceled') } } });
  expect((await claim(server, service.token)).body.data).toEqual([]);

  // Printing and printed jobs are the print service's: 409, and nothing changes.
  const printing = (await submit(server, portal.token, printer)).body.data;
  await claim(server, service.token);
  expect((await api(server, 'POST', `/api/print_jobs/${printing.id}/actions/cancel`, { token: portal.token })).status).toBe(409);
  expect(await documentOf(printing.id)).toEqual(PDF);
  await reportJob(server, service.token, printing.id, { status: 'printed' });
  expect((await api(server, 'POST', `/api/print_jobs/${printing.id}/actions/cancel`, { token: portal.token })).status).toBe(409);

  const audit = await adminApi('GET', `/api/audit_events?action=print_job.cancel&target_id=${queued.id}`);
  expect(audit.body.data).toEqual([expect.objectContaining({ actor_id: portal.client.id, details: expect.objectContaining({ reason: 'requested' }) })]);
});

test('disabling a printer cancels its queued jobs; a job being printed is still reported; the printer takes no new ones', async () => {
  const service = await printService(server, admin, { A: 'online', B: 'online' });
  const [a, b] = [service.printers.A.id, service.printers.B.id];
  const printing = (await submit(server, portal.token, a)).body.data;
  expect((await claim(server, service.token)).body.data.map((j: { id: string }) => j.id)).toEqual([printing.id]);
  const queuedA = [(await submit(server, portal.token, a)).body.data, (await submit(server, portal.token, a)).body.data];
  const queuedB = (await submit(server, portal.token, b)).body.data;

  const off = await adminApi('PATCH', `/api/services/${service.id}/printers/${a}`, { enabled: false });
  expect(off.status).toBe(200);
  for (const job of queuedA) {
    expect((await api(server, 'GET', `/api/print_jobs/${job.id}`, { token: portal.token })).body.data.status).toBe('canceled');
    expect(await documentOf(job.id)).toBeNull();
  }
  expect((await api(server, 'GET', `/api/print_jobs/${queuedB.id}`, { token: portal.token })).body.data.status).toBe('queued');
  expect(await documentOf(printing.id)).toEqual(PDF);
  expect((await reportJob(server, service.token, printing.id, { status: 'printed' })).body.data.status).toBe('printed');
  expect(await submit(server, portal.token, a)).toMatchObject({ status: 409, body: { error: { type: 'conflict', message: expect.any(String) } } });
  const printable = await api(server, 'GET', `/api/printers?service_id=${service.id}`, { token: portal.token });
  expect(printable.body.data.map((p: { id: string }) => p.id)).toEqual([b]);
  const cancels = await adminApi('GET', `/api/audit_events?action=print_job.cancel&target_id=${queuedA[0].id}`);
  expect(cancels.body.data).toEqual([expect.objectContaining({ actor_id: admin.client.id, details: expect.objectContaining({ reason: 'printer disabled' }) })]);

  // Enabled again, it takes new jobs; what was canceled stays canceled.
  await adminApi('PATCH', `/api/services/${service.id}/printers/${a}`, { enabled: true });
  expect((await submit(server, portal.token, a)).status).toBe(201);
  expect((await api(server, 'GET', `/api/print_jobs/${queuedA[0].id}`, { token: portal.token })).body.data.status).toBe('canceled');
});

test('deleting a printer cancels its queued jobs; deleting its service cancels the rest; the records stay', async () => {
  const service = await printService(server, admin, { A: 'online', B: 'online' });
  const [a, b] = [service.printers.A.id, service.printers.B.id];
  const onA = (await submit(server, portal.token, a)).body.data;
  const onB = [(await submit(server, portal.token, b)).body.data, (await submit(server, portal.token, b)).body.data];
  expect((await adminApi('DELETE', `/api/services/${service.id}/printers/${a}`)).status).toBe(204);
  expect((await api(server, 'GET', `/api/print_jobs/${onA.id}`, { token: portal.token })).body.data).toMatchObject({ status: 'canceled', printer_id: a });
  expect(await submit(server, portal.token, a)).toMatchObject({ status: 422, body: { error: { invalid: [expect.objectContaining({ entry: '$.printer_id' })] } } });
  expect((await api(server, 'GET', `/api/print_jobs/${onB[0].id}`, { token: portal.token })).body.data.status).toBe('queued');

  // One of B's jobs is being printed when the service is deleted: with its credentials gone it could never report it.
  await claim(server, service.token);
  expect((await adminApi('DELETE', `/api/services/${service.id}`)).status).toBe(204);
  for (const job of [onA, ...onB]) {
    expect((await api(server, 'GET', `/api/print_jobs/${job.id}`, { token: portal.token })).body.data).toMatchObject({ status: 'canceled', service_id: service.id });
    expect(await documentOf(job.id)).toBeNull();
  }
  const reasons = await adminApi('GET', `/api/audit_events?action=print_job.cancel&target_id=${onB[1].id}`);
  expect(reasons.body.data[0].details.reason).toBe('service deleted');
});

test('the document and the title never reach the logs or the audit log', async () => {
  const service = await printService(server, admin, { Secret_Printer: 'online' });
  const title = 'Rx for Ivanenko Petro, 1961-03-14';
  const png = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), Buffer.from('IHDR Ivanenko Petro diagnosis J45.0 asthma')]);
  const printer = service.printers.Secret_Printer.id;
  const job = (await submit(server, portal.token, printer, { title, content_type: 'image/png' }, png)).body.data;
  await claim(server, service.token);
  await reportJob(server, service.token, job.id, { status: 'failed', error: `could not print ${title}` });
  // Refused submissions too: a disabled printer, a bad field beside the document.
  await adminApi('PATCH', `/api/services/${service.id}/printers/${printer}`, { enabled: false });
  expect((await submit(server, portal.token, printer, { title }, png)).status).toBe(409);
  expect((await submit(server, portal.token, printer, { title, copies: 0 }, png)).status).toBe(422);

  const logged = logLines.join('');
  expect(logLines.length).toBeGreaterThan(10);
  for (const leak of [png.toString('base64'), 'Ivanenko', 'asthma']) expect(logged).not.toContain(leak);
  const rows: Array<{ text: string }> = await server.gatehouse.db.dataSource.query('SELECT details::text AS text FROM audit_events');
  const audited = rows.map((r) => r.text).join('\n');
  for (const leak of [png.toString('base64'), PDF.toString('base64'), 'Ivanenko', 'Prescription 0001', 'asthma']) expect(audited).not.toContain(leak);
});

test('no job is left queued on a printer disabled while jobs are being submitted to it', async () => {
  for (let round = 0; round < 5; round++) {
    const service = await printService(server, admin, { Racy: 'online' });
    const printer = service.printers.Racy.id;
    const submits = Array.from({ length: 16 }, () => submit(server, portal.token, printer));
    await new Promise((r) => setTimeout(r, 5 * round));
    const off = adminApi('PATCH', `/api/services/${service.id}/printers/${printer}`, { enabled: false });
    const statuses = (await Promise.all(submits)).map((r) => r.status);
    expect((await off).status).toBe(200);
    expect(statuses.every((s) => s === 201 || s === 409)).toBe(true);
    const [left] = await server.gatehouse.db.dataSource.query(
      `SELECT count(*) FILTER (WHERE status = 'queued')::int AS queued, count(*)::int AS jobs FROM print_jobs WHERE printer_id = $1`, [printer],
    );
    expect(left.queued).toBe(0);
    expect(left.jobs).toBe(statuses.filter((s) => s === 201).length);
  }
});
