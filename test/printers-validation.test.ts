// CONTRACT §4, printers: assigning, editing and removing printers and the print service's report, with
// every bad input answering the contract's 4xx body and changing nothing.
import { type ApiCaller, accessToken, api, callerOfType } from './support/api.js';
import { startServer, type TestServer } from './support/server.js';

let server: TestServer;
let admin: ApiCaller;
let tokenA: string;
let tokenB: string;
let printersA: Array<{ id: string; system_name: string; status: string }>;
let printersB: Array<{ id: string; system_name: string }>;

const adminApi = (method: string, path: string, body?: unknown) => api(server, method, path, { token: admin.token, body });
const report = (token: string, body: unknown) => api(server, 'PUT', '/api/print_service/printers', { token, body });
const UNKNOWN_UUID = '00000000-0000-4000-8000-000000000000';

async function newPrintService(clientId: string): Promise<string> {
  const res = await adminApi('POST', '/api/services', { client_id: clientId, name: clientId, service_type: 'PRINT_SERVICE', permissions: ['printer:read', 'printer:write'] });
  return accessToken(server, clientId, res.body.data.client_secret, ['printer:report', 'printer:read', 'printer:write']);
}

beforeAll(async () => {
  server = await startServer();
  admin = await callerOfType(server, 'ADMIN');
  tokenA = await newPrintService('service_a');
  tokenB = await newPrintService('service_b');
  printersA = (await report(tokenA, { printers: [{ system_name: 'A1', status: 'online' }, { system_name: 'A2', status: 'offline' }] })).body.data;
  printersB = (await report(tokenB, { printers: [{ system_name: 'B1', status: 'online' }] })).body.data;
});

afterAll(() => server?.stop());

async function expect422(res: Promise<{ status: number; body: any }>, entries: Record<string, string[]>, entryType = 'json_data_property') {
  const { status, body } = await res;
  expect(status).toBe(422);
  expect(body.error).toMatchObject({ type: 'validation_failed', message: expect.any(String) });
  expect(Object.fromEntries(body.error.invalid.map((e: { entry: string; entry_type: string; rules: Array<{ rule: string }> }) => {
    expect(e.entry_type).toBe(entryType);
    return [e.entry, e.rules.map((r) => r.rule)];
  }))).toEqual(entries);
}

/** Everything a rejected request must leave alone. */
async function snapshot() {
  const state = await Promise.all(['service_a', 'service_b'].flatMap((s) => [
    adminApi('GET', `/api/services/${s}/printers`), adminApi('GET', `/api/services/${s}/available_printers`),
  ]));
  const audit = await adminApi('GET', '/api/audit_events?page_size=1');
  return { state: state.map((r) => r.body), audit: audit.body.paging.total_entries };
}

describe('assigning a printer', () => {
  test('only a printer this service reported, once', async () => {
    const before = await snapshot();
    const path = '/api/services/service_a/printers';
    // Another service's printer, and one nobody reported, are no printers of this service.
    for (const printerId of [printersB[0].id, UNKNOWN_UUID]) {
      const res = await adminApi('POST', path, { printer_id: printerId, name: 'Stolen' });
      expect({ status: res.status, body: res.body }).toEqual({
        status: 422,
        body: { error: { type: 'validation_failed', message: 'Validation failed', invalid: [{
          entry: '$.printer_id', entry_type: 'json_data_property',
          rules: [{ rule: 'existence', description: 'no printer that this service reported has this id', params: { printer_id: printerId } }],
        }] } },
      });
    }
    await expect422(adminApi('POST', path, { printer_id: 'A1', name: 'By name' }), { '$.printer_id': ['format'] });
    await expect422(adminApi('POST', path, { printer_id: printersA[0].id }), { '$.name': ['required'] });
    await expect422(adminApi('POST', path, { printer_id: printersA[0].id, name: '' }), { '$.name': ['minLength', 'pattern'] });
    await expect422(adminApi('POST', path, { printer_id: printersA[0].id, name: 'x'.repeat(256) }), { '$.name': ['maxLength'] });
    await expect422(adminApi('POST', path, { printer_id: printersA[0].id, name: 'Ok', enabled: false }), { '$.enabled': ['additionalProperties'] });
    expect(await snapshot()).toEqual(before);

    const first = await adminApi('POST', path, { printer_id: printersA[0].id, name: 'x'.repeat(255) });
    expect(first.status).toBe(201);
    const afterFirst = await snapshot();
    const twice = await adminApi('POST', path, { printer_id: printersA[0].id, name: 'Again' });
    expect({ status: twice.status, body: twice.body }).toEqual({ status: 409, body: { error: { type: 'conflict', message: 'this printer is already assigned to the service' } } });
    expect(await snapshot()).toEqual(afterFirst);
    expect((await adminApi('DELETE', `${path}/${first.body.data.id}`)).status).toBe(204);
  });

  test('an unknown service is 404 and a malformed one 422 path_parameter', async () => {
    expect(await adminApi('POST', '/api/services/no_such_service/printers', { printer_id: printersA[0].id, name: 'x' }))
      .toMatchObject({ status: 404, body: { error: { type: 'not_found' } } });
    await expect422(adminApi('GET', '/api/services/NO/printers'), { '$.client_id': ['pattern'] }, 'path_parameter');
  });
});

describe('editing and removing a printer', () => {
  let assigned: { id: string };
  beforeAll(async () => {
    assigned = (await adminApi('POST', '/api/services/service_a/printers', { printer_id: printersA[1].id, name: 'Lab printer' })).body.data;
  });

  test('bad bodies and ids are refused and change nothing', async () => {
    const before = await snapshot();
    const path = `/api/services/service_a/printers/${assigned.id}`;
    await expect422(adminApi('PATCH', path, {}), { $: ['minProperties'] });
    await expect422(adminApi('PATCH', path, { name: '' }), { '$.name': ['minLength', 'pattern'] });
    await expect422(adminApi('PATCH', path, { name: 'x'.repeat(256) }), { '$.name': ['maxLength'] });
    await expect422(adminApi('PATCH', path, { enabled: 'no' }), { '$.enabled': ['type'] });
    await expect422(adminApi('PATCH', path, { status: 'offline' }), { '$.status': ['additionalProperties'] });
    await expect422(adminApi('PATCH', '/api/services/service_a/printers/lab', { name: 'x' }), { '$.id': ['format'] }, 'path_parameter');
    const notFound = { status: 404, body: { error: { type: 'not_found' } } };
    expect(await adminApi('PATCH', `/api/services/service_a/printers/${UNKNOWN_UUID}`, { name: 'x' })).toMatchObject(notFound);
    // A printer is addressed through its own service only.
    expect(await adminApi('PATCH', `/api/services/service_b/printers/${assigned.id}`, { name: 'x' })).toMatchObject(notFound);
    expect(await adminApi('DELETE', `/api/services/service_b/printers/${assigned.id}`)).toMatchObject(notFound);
    expect(await api(server, 'PATCH', path, { token: tokenB, body: { name: 'x' } }))
      .toMatchObject({ status: 403, body: { error: { type: 'forbidden', message: 'forbidden' } } });
    expect(await snapshot()).toEqual(before);
  });

  test('a print service may manage its own printers, and removing one makes it available again', async () => {
    const path = `/api/services/service_a/printers/${assigned.id}`;
    const toggled = await api(server, 'PATCH', path, { token: tokenA, body: { enabled: false, name: 'Lab (off)' } });
    expect(toggled.body.data).toMatchObject({ id: assigned.id, name: 'Lab (off)', enabled: false, system_name: 'A2' });
    expect((await api(server, 'DELETE', path, { token: tokenA })).status).toBe(204);
    expect((await adminApi('DELETE', path)).status).toBe(404);
    const available = await adminApi('GET', '/api/services/service_a/available_printers');
    expect(available.body.data.map((p: { system_name: string }) => p.system_name)).toEqual(['A1', 'A2']);
    const audit = await adminApi('GET', `/api/audit_events?target_id=${assigned.id}`);
    expect(audit.body.data.map((e: { action: string; actor_id: string }) => [e.action, e.actor_id])).toEqual([
      ['printer.assign', admin.client.id], ['printer.update', 'service_a'], ['printer.remove', 'service_a'],
    ]);
    expect(audit.body.data[1].details).toEqual({ service_id: 'service_a', enabled: false, name: 'Lab (off)' });
  });
});

describe('PUT /api/print_service/printers', () => {
  test('each bad report is refused whole and changes nothing', async () => {
    const before = await snapshot();
    await expect422(report(tokenA, {}), { '$.printers': ['required'] });
    await expect422(report(tokenA, { printers: 'A1' }), { '$.printers': ['type'] });
    await expect422(report(tokenA, { printers: [{ system_name: 'A1', status: 'broken' }] }), { '$.printers[0].status': ['enum'] });
    await expect422(report(tokenA, { printers: [{ system_name: '', status: 'online' }] }), { '$.printers[0].system_name': ['minLength', 'pattern'] });
    await expect422(report(tokenA, { printers: [{ status: 'online' }] }), { '$.printers[0].system_name': ['required'] });
    await expect422(report(tokenA, { printers: [{ system_name: 'A1', status: 'online', ip: '10.0.0.1' }] }), { '$.printers[0].ip': ['additionalProperties'] });
    await expect422(report(tokenA, { printers: [{ system_name: 'A1', status: 'online', description: 'x'.repeat(1025) }] }), { '$.printers[0].description': ['maxLength'] });
    await expect422(report(tokenA, { printers: Array.from({ length: 501 }, (_, i) => ({ system_name: `P${i}`, status: 'online' })) }), { '$.printers': ['maxItems'] });
    await expect422(report(tokenA, { printers: [{ system_name: 'A1', status: 'online' }, { system_name: 'A1', status: 'offline' }] }), { '$.printers[1].system_name': ['uniqueItems'] });
    const malformed = await report(tokenA, '{"printers": [');
    expect({ status: malformed.status, body: malformed.body }).toEqual({ status: 400, body: { error: { type: 'request_malformed', message: expect.any(String) } } });
    expect(await snapshot()).toEqual(before);
  });

  test('only a print service token reports, and only its own printers', async () => {
    const pharmacy = await callerOfType(server, 'PHARMACY');
    const before = await snapshot();
    expect(await report(admin.token, { printers: [] })).toMatchObject({ status: 403, body: { error: { type: 'forbidden', message: 'Invalid scopes' } } });
    expect(await report(pharmacy.token, { printers: [] })).toMatchObject({ status: 403, body: { error: { type: 'forbidden', message: 'Invalid scopes' } } });
    expect((await report('not-a-token', { printers: [] })).status).toBe(401);
    expect(await snapshot()).toEqual(before);
  });

  test('an unchanged report is a heartbeat: last_seen_at moves, the audit log does not', async () => {
    const current = [{ system_name: 'A1', status: 'online' }, { system_name: 'A2', status: 'offline' }];
    const first = await report(tokenA, { printers: current });
    const audit = (await adminApi('GET', '/api/audit_events?action=printer.report&target_id=service_a')).body.paging.total_entries;
    const second = await report(tokenA, { printers: current });
    expect(Date.parse(second.body.data[0].last_seen_at)).toBeGreaterThan(Date.parse(first.body.data[0].last_seen_at));
    expect((await adminApi('GET', '/api/audit_events?action=printer.report&target_id=service_a')).body.paging.total_entries).toBe(audit);
    // An empty report: every printer it had is unknown now, and that is recorded.
    const empty = await report(tokenA, { printers: [] });
    expect(empty.body.data.map((p: { status: string }) => p.status)).toEqual(['unknown', 'unknown']);
    const events = (await adminApi('GET', '/api/audit_events?action=printer.report&target_id=service_a')).body;
    expect(events.paging.total_entries).toBe(audit + 1);
    expect(events.data.at(-1)).toMatchObject({ actor_type: 'client', actor_id: 'service_a', details: { added: [], changed: [], unknown: ['A1', 'A2'] } });
    // Seen again, with another description: back with its new status.
    const back = await report(tokenA, { printers: [{ system_name: 'A2', description: 'moved to the lab', status: 'online' }] });
    expect(back.body.data.find((p: { system_name: string }) => p.system_name === 'A2')).toMatchObject({ id: printersA[1].id, description: 'moved to the lab', status: 'online' });
  });
});
