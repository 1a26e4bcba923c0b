// CONTRACT §9 and §4: every bad input to the print job routes gets the contract's 4xx with its exact body, and
// changes nothing (no job, no audit event, no claim).
import { type ApiCaller, api, callerOfType } from './support/api.js';
import { PDF, type PrintService, claim, printService, reportJob, submit } from './support/printing.js';
import { startServer, type TestServer } from './support/server.js';

let server: TestServer;
let admin: ApiCaller;
let portal: ApiCaller;
let service: PrintService;

beforeAll(async () => {
  server = await startServer();
  admin = await callerOfType(server, 'ADMIN');
  portal = await callerOfType(server, 'PHARMACY', { permissions: ['print:submit'] });
  service = await printService(server, admin, { Online: 'online', Offline: 'offline', Broken: 'error', Lost: 'unknown', Disabled: 'online' });
  await api(server, 'PATCH', `/api/services/${service.id}/printers/${service.printers.Disabled.id}`, { token: admin.token, body: { enabled: false } });
});
afterAll(() => server?.stop());

/** Jobs, their states and the audit log: what a rejected request must leave as it was. */
async function snapshot() {
  const [row] = await server.gatehouse.db.dataSource.query(
    `SELECT (SELECT count(*) FROM print_jobs) AS jobs, (SELECT count(*) FROM audit_events) AS events,
            (SELECT string_agg(id || status || attempts, ',' ORDER BY id) FROM print_jobs) AS states`,
  );
  return row;
}

const invalid = (entry: string, rule: string, entryType = 'json_data_property') => ({
  status: 422,
  body: {
    error: {
      type: 'validation_failed', message: expect.any(String),
      invalid: [{ entry, entry_type: entryType, rules: [expect.objectContaining({ rule, description: expect.any(String) })] }],
    },
  },
});

describe('POST /api/print_jobs', () => {
  const online = () => service.printers.Online.id;
  const body = (extra: Record<string, unknown> = {}) => ({
    printer_id: online(), title: 'Prescription', content_type: 'application/pdf', document: PDF.toString('base64'), ...extra,
  });

  test.each([
    ['an unknown content_type', { content_type: 'application/msword' }, '$.content_type', 'enum'],
    ['copies 0', { copies: 0 }, '$.copies', 'minimum'],
    ['copies 100', { copies: 100 }, '$.copies', 'maximum'],
    ['copies 1.5', { copies: 1.5 }, '$.copies', 'type'],
    ['copies "2"', { copies: '2' }, '$.copies', 'type'],
    ['an empty title', { title: '' }, '$.title', 'minLength'],
    ['a title of 256 characters', { title: 'я'.repeat(256) }, '$.title', 'maxLength'],
    ['a document that is not base64', { document: 'not base64!' }, '$.document', 'format'],
    ['a document without its padding', { document: 'YWJjZA' }, '$.document', 'format'],
    ['an empty document', { document: '' }, '$.document', 'minLength'],
    ['a malformed printer_id', { printer_id: 'printer-1' }, '$.printer_id', 'format'],
    ['an unknown printer', { printer_id: '00000000-0000-4000-8000-000000000000' }, '$.printer_id', 'existence'],
    ['a field the route does not take', { priority: 'high' }, '$.priority', 'additionalProperties'],
  ])('%s → 422 naming it', async (_name, extra, entry, rule) => {
    const before = await snapshot();
    expect(await api(server, 'POST', '/api/print_jobs', { token: portal.token, body: body(extra) })).toMatchObject(invalid(entry, rule));
    expect(await snapshot()).toEqual(before);
  });

  test('a title with NUL is hostile text: 400 request_malformed at the input gate (CONTRACT §3), nothing written', async () => {
    const before = await snapshot();
    const res = await api(server, 'POST', '/api/print_jobs', { token: portal.token, body: body({ title: 'a\u0000b' }) });
    expect(res).toMatchObject({ status: 400, body: { error: { type: 'request_malformed', message: expect.stringContaining('NUL') } } });
    expect(await snapshot()).toEqual(before);
  });

  test('every problem is listed at once; a missing field is one', async () => {
    const res = await api(server, 'POST', '/api/print_jobs', { token: portal.token, body: { title: '', copies: 0 } });
    expect(res.status).toBe(422);
    expect(res.body.error.invalid.map((e: { entry: string }) => e.entry).sort())
      .toEqual(['$.content_type', '$.copies', '$.document', '$.printer_id', '$.title']);
  });

  test.each(['Offline', 'Broken', 'Lost', 'Disabled'])('a printer that is %s → 409', async (name) => {
    const before = await snapshot();
    const res = await submit(server, portal.token, service.printers[name].id);
    expect(res).toMatchObject({ status: 409, body: { error: { type: 'conflict', message: expect.stringContaining('not available') } } });
    expect(Object.keys(res.body.error).sort()).toEqual(['message', 'type']);
    expect(await snapshot()).toEqual(before);
  });

  test('a document over 10 MiB decoded → 413; exactly 10 MiB is accepted', async () => {
    const before = await snapshot();
    const over = await submit(server, portal.token, online(), {}, Buffer.alloc(10 * 1024 * 1024 + 1, 0x25));
    expect(over).toMatchObject({ status: 413, body: { error: { type: 'request_too_large', message: expect.any(String) } } });
    // Far over: refused while the body is read.
    const huge = await submit(server, portal.token, online(), {}, Buffer.alloc(12 * 1024 * 1024, 0x25));
    expect(huge).toMatchObject({ status: 413, body: { error: { type: 'request_too_large', message: expect.any(String) } } });
    expect(await snapshot()).toEqual(before);
    const exact = await submit(server, portal.token, online(), {}, Buffer.alloc(10 * 1024 * 1024, 0x25));
    expect(exact.status).toBe(201);
    expect(exact.body.data.size).toBe(10 * 1024 * 1024);
    await api(server, 'POST', `/api/print_jobs/${exact.body.data.id}/actions/cancel`, { token: portal.token });
  });

  test('another media type → 415; unparseable JSON → 400; other routes keep the 64 KiB limit', async () => {
    const before = await snapshot();
    const text = await api(server, 'POST', '/api/print_jobs', { token: portal.token, body: JSON.stringify(body()), headers: { 'content-type': 'text/plain' } });
    expect(text).toMatchObject({ status: 415, body: { error: { type: 'unsupported_media_type', message: expect.any(String) } } });
    const pdf = await api(server, 'POST', '/api/print_jobs', { token: portal.token, body: PDF.toString('latin1'), headers: { 'content-type': 'application/pdf' } });
    expect(pdf.status).toBe(415);
    const broken = await api(server, 'POST', '/api/print_jobs', { token: portal.token, body: '{"printer_id": ' });
    expect(broken).toMatchObject({ status: 400, body: { error: { type: 'request_malformed', message: expect.any(String) } } });
    const big = await api(server, 'POST', '/api/permissions', { token: admin.token, body: { name: 'x:y', description: 'd'.repeat(70_000) } });
    expect(big.status).toBe(413);
    expect(await snapshot()).toEqual(before);
  });

  test('without print:submit → 403 Invalid scopes; without a token → 401', async () => {
    const before = await snapshot();
    expect(await api(server, 'POST', '/api/print_jobs', { token: admin.token, body: body() }))
      .toMatchObject({ status: 403, body: { error: { type: 'forbidden', message: 'Invalid scopes' } } });
    expect(await api(server, 'POST', '/api/print_jobs', { token: service.token, body: body() })).toMatchObject({ status: 403 });
    expect(await api(server, 'POST', '/api/print_jobs', { body: body() }))
      .toMatchObject({ status: 401, body: { error: { type: 'access_denied', message: 'Access denied' } } });
    expect(await snapshot()).toEqual(before);
  });
});

describe('reading and canceling', () => {
  test('unknown or malformed ids, unknown filters and values', async () => {
    expect(await api(server, 'GET', '/api/print_jobs/00000000-0000-4000-8000-000000000000', { token: portal.token }))
      .toEqual(expect.objectContaining({ status: 404, body: { error: { type: 'not_found' } } }));
    expect(await api(server, 'GET', '/api/print_jobs/42', { token: portal.token })).toMatchObject(invalid('$.id', 'format', 'path_parameter'));
    expect(await api(server, 'GET', '/api/print_jobs?status=done', { token: portal.token })).toMatchObject(invalid('$.status', 'enum', 'query_parameter'));
    expect(await api(server, 'GET', '/api/print_jobs?printer=1', { token: portal.token })).toMatchObject(invalid('$.printer', 'additionalProperties', 'query_parameter'));
    expect(await api(server, 'GET', '/api/printers?status=online', { token: portal.token })).toMatchObject(invalid('$.status', 'additionalProperties', 'query_parameter'));
    const unknown = await api(server, 'POST', '/api/print_jobs/00000000-0000-4000-8000-000000000000/actions/cancel', { token: portal.token });
    expect(unknown).toEqual(expect.objectContaining({ status: 404, body: { error: { type: 'not_found' } } }));
    const job = (await submit(server, portal.token, service.printers.Online.id)).body.data;
    const before = await snapshot();
    expect(await api(server, 'POST', `/api/print_jobs/${job.id}/actions/cancel`, { token: portal.token, body: { reason: 'x' } }))
      .toMatchObject(invalid('$.reason', 'additionalProperties'));
    expect(await snapshot()).toEqual(before);
    await api(server, 'POST', `/api/print_jobs/${job.id}/actions/cancel`, { token: portal.token });
  });
});

describe('the print service side', () => {
  test('claim: bad wait or limit → 422; not a PRINT_SERVICE → 403 forbidden; nothing is claimed', async () => {
    const job = (await submit(server, portal.token, service.printers.Online.id)).body.data;
    // An integration that an admin gave printer:report is no print service.
    const integration = await callerOfType(server, 'INTEGRATION', { permissions: ['printer:report'] });
    const before = await snapshot();
    expect(await claim(server, service.token, { wait: 31 })).toMatchObject(invalid('$.wait', 'maximum'));
    expect(await claim(server, service.token, { wait: -1 })).toMatchObject(invalid('$.wait', 'minimum'));
    expect(await claim(server, service.token, { limit: 0 })).toMatchObject(invalid('$.limit', 'minimum'));
    expect(await claim(server, service.token, { limit: 11 })).toMatchObject(invalid('$.limit', 'maximum'));
    expect(await api(server, 'POST', '/api/print_service/jobs/actions/claim', { token: service.token, body: { max: 1 } }))
      .toMatchObject(invalid('$.max', 'additionalProperties'));
    expect(await claim(server, integration.token)).toMatchObject({ status: 403, body: { error: { type: 'forbidden', message: 'forbidden' } } });
    expect(await claim(server, portal.token)).toMatchObject({ status: 403, body: { error: { type: 'forbidden', message: 'Invalid scopes' } } });
    expect(await snapshot()).toEqual(before);
    expect((await claim(server, service.token)).body.data.map((j: { id: string }) => j.id)).toEqual([job.id]);
  });

  test("report: another service's job or an unknown one → 404; not printing → 409; bad status → 422", async () => {
    const mine = (await submit(server, portal.token, service.printers.Online.id)).body.data;
    const other = await printService(server, admin, { Elsewhere: 'online' });
    const before = await snapshot();
    expect(await reportJob(server, other.token, mine.id, { status: 'printed' })).toEqual(expect.objectContaining({ status: 404, body: { error: { type: 'not_found' } } }));
    expect((await reportJob(server, service.token, '00000000-0000-4000-8000-000000000000', { status: 'printed' })).status).toBe(404);
    expect(await reportJob(server, service.token, 'job-1', { status: 'printed' })).toMatchObject(invalid('$.id', 'format', 'path_parameter'));
    expect(await reportJob(server, service.token, mine.id, { status: 'queued' })).toMatchObject(invalid('$.status', 'enum'));
    expect(await reportJob(server, service.token, mine.id, { status: 'failed', error: 'x'.repeat(1001) })).toMatchObject(invalid('$.error', 'maxLength'));
    expect(await reportJob(server, service.token, mine.id, { status: 'printed', copies: 1 })).toMatchObject(invalid('$.copies', 'additionalProperties'));
    expect(await reportJob(server, service.token, mine.id, { status: 'printed' }))
      .toMatchObject({ status: 409, body: { error: { type: 'conflict', message: expect.stringContaining('queued') } } });
    expect(await snapshot()).toEqual(before);
    // Claimed by its service, the other service still cannot touch it.
    await claim(server, service.token);
    const snap = await snapshot();
    expect((await reportJob(server, other.token, mine.id, { status: 'failed' })).status).toBe(404);
    expect(await snapshot()).toEqual(snap);
    expect((await reportJob(server, service.token, mine.id, { status: 'printed' })).status).toBe(200);
  });
});
