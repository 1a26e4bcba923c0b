// CONTRACT §4, services: every field's validation answers the contract's 4xx body and changes nothing.
import { type ApiCaller, accessToken, api, callerOfType } from './support/api.js';
import { startServer, type TestServer } from './support/server.js';

let server: TestServer;
let admin: ApiCaller;

beforeAll(async () => {
  server = await startServer();
  admin = await callerOfType(server, 'ADMIN');
});

afterAll(() => server?.stop());

const adminApi = (method: string, path: string, body?: unknown) => api(server, method, path, { token: admin.token, body });

const valid = { client_id: 'printer_service_001', name: 'Print Service', service_type: 'PRINT_SERVICE', permissions: ['printer:read'] };

/** The 422 body naming exactly these entries (in any order) and, for each, exactly these rules. */
function invalid(entries: Record<string, string[]>, entryType = 'json_data_property') {
  return {
    error: {
      type: 'validation_failed',
      message: expect.any(String),
      invalid: expect.arrayContaining(Object.entries(entries).map(([entry, rules]) => ({
        entry, entry_type: entryType, rules: rules.map((rule) => expect.objectContaining({ rule, description: expect.any(String) })),
      }))),
    },
  };
}

async function expect422(method: string, path: string, body: unknown, entries: Record<string, string[]>, entryType?: string) {
  const res = await adminApi(method, path, body);
  expect({ status: res.status, body: res.body }).toEqual({ status: 422, body: invalid(entries, entryType) });
  expect(res.body.error.invalid).toHaveLength(Object.keys(entries).length);
}

/** What a rejected request must not touch: the services, their permissions and the audit log. */
async function snapshot() {
  const services = await adminApi('GET', '/api/services?page_size=100');
  const audit = await adminApi('GET', '/api/audit_events?page_size=1');
  return { services: services.body, auditEntries: audit.body.paging.total_entries };
}

describe('POST /api/services', () => {
  test('the System ID must match ^[a-z0-9][a-z0-9_-]{2,63}$', async () => {
    const before = await snapshot();
    for (const id of ['', 'ab', 'AB1', '_abc', '-abc', 'Printer_Service', 'printer service', 'printer.service', 'a'.repeat(65), 'żółw_service']) {
      await expect422('POST', '/api/services', { ...valid, client_id: id }, { '$.client_id': ['pattern'] });
    }
    await expect422('POST', '/api/services', { ...valid, client_id: 123 }, { '$.client_id': ['type'] });
    expect(await snapshot()).toEqual(before);
    for (const id of ['abc', '0-a', 'a'.repeat(64)]) {
      expect((await adminApi('POST', '/api/services', { ...valid, client_id: id })).status).toBe(201);
    }
  });

  test('a taken System ID is 409 and leaves the existing service as it was', async () => {
    const first = await adminApi('POST', '/api/services', { ...valid, client_id: 'taken_id' });
    expect(first.status).toBe(201);
    const before = await snapshot();
    for (const body of [{ ...valid, client_id: 'taken_id', name: 'Other' }, { ...valid, client_id: 'taken_id', service_type: 'INTEGRATION' }]) {
      const res = await adminApi('POST', '/api/services', body);
      expect({ status: res.status, body: res.body }).toEqual({ status: 409, body: { error: { type: 'conflict', message: expect.stringContaining('taken_id') } } });
    }
    expect(await snapshot()).toEqual(before);
    // The secret it was created with still works: a failed create did not rotate it.
    expect(await accessToken(server, 'taken_id', first.body.data.client_secret, ['printer:report'])).toEqual(expect.any(String));
  });

  test('the type must be PRINT_SERVICE or INTEGRATION', async () => {
    const before = await snapshot();
    for (const type of ['ADMIN', 'PHARMACY', 'PRINTER', 'print_service', '']) {
      await expect422('POST', '/api/services', { ...valid, client_id: 'typed_service', service_type: type }, { '$.service_type': ['enum'] });
    }
    expect(await snapshot()).toEqual(before);
    expect((await adminApi('GET', '/api/services/typed_service')).status).toBe(404);
  });

  test('permissions come from the catalog', async () => {
    const before = await snapshot();
    await expect422('POST', '/api/services', { ...valid, client_id: 'rx_service', permissions: ['printer:read', 'prescription:read'] },
      { '$.permissions': ['inclusion'] });
    const res = await adminApi('POST', '/api/services', { ...valid, client_id: 'rx_service', permissions: ['prescription:read'] });
    expect(res.body.error.invalid[0].rules[0]).toEqual({ rule: 'inclusion', description: 'unknown permission: prescription:read', params: { unknown: ['prescription:read'] } });
    await expect422('POST', '/api/services', { ...valid, client_id: 'rx_service', permissions: ['NotAPermission'] }, { '$.permissions[0]': ['pattern'] });
    await expect422('POST', '/api/services', { ...valid, client_id: 'rx_service', permissions: ['printer:read', 'printer:read'] }, { '$.permissions': ['uniqueItems'] });
    await expect422('POST', '/api/services', { ...valid, client_id: 'rx_service', permissions: 'printer:read' }, { '$.permissions': ['type'] });
    expect(await snapshot()).toEqual(before);
    expect((await adminApi('GET', '/api/services/rx_service')).status).toBe(404);
    // Once an admin adds it to the catalog, it can be assigned.
    expect((await adminApi('POST', '/api/permissions', { name: 'prescription:read', description: 'Read prescriptions' })).status).toBe(201);
    const created = await adminApi('POST', '/api/services', { ...valid, client_id: 'rx_service', service_type: 'INTEGRATION', permissions: ['prescription:read'] });
    expect(created.body.data.permissions).toEqual(['prescription:read']);
  });

  test('the friendly name is 1 to 255 characters, not only blanks', async () => {
    const before = await snapshot();
    await expect422('POST', '/api/services', { ...valid, client_id: 'named_service', name: '' }, { '$.name': ['minLength', 'pattern'] });
    await expect422('POST', '/api/services', { ...valid, client_id: 'named_service', name: 'x'.repeat(256) }, { '$.name': ['maxLength'] });
    await expect422('POST', '/api/services', { ...valid, client_id: 'named_service', name: '   ' }, { '$.name': ['pattern'] });
    await expect422('POST', '/api/services', { ...valid, client_id: 'named_service', name: null }, { '$.name': ['type'] });
    expect(await snapshot()).toEqual(before);
    const res = await adminApi('POST', '/api/services', { ...valid, client_id: 'named_service', name: 'ż'.repeat(255) });
    expect(res.status).toBe(201);
    expect(res.body.data.name).toBe('ż'.repeat(255));
  });

  test('every problem is listed at once, and a field the route does not take is one', async () => {
    const before = await snapshot();
    await expect422('POST', '/api/services', {}, { '$.client_id': ['required'], '$.name': ['required'], '$.service_type': ['required'] });
    await expect422('POST', '/api/services', { ...valid, client_id: 'x', name: '', service_type: 'X', client_secret: 'mine' }, {
      '$.client_id': ['pattern'], '$.name': ['minLength', 'pattern'], '$.service_type': ['enum'], '$.client_secret': ['additionalProperties'],
    });
    const malformed = await adminApi('POST', '/api/services', '{"client_id": ');
    expect({ status: malformed.status, body: malformed.body }).toEqual({ status: 400, body: { error: { type: 'request_malformed', message: expect.any(String) } } });
    expect(await snapshot()).toEqual(before);
  });

  test('only an ADMIN creates services, even when another client holds service:write', async () => {
    const integration = await callerOfType(server, 'INTEGRATION', { permissions: ['service:write', 'service:read'] });
    const before = await snapshot();
    const res = await api(server, 'POST', '/api/services', { token: integration.token, body: { ...valid, client_id: 'sneaky_service' } });
    expect({ status: res.status, body: res.body }).toEqual({ status: 403, body: { error: { type: 'forbidden', message: 'forbidden' } } });
    // Nor may it widen its own permissions.
    const own = await api(server, 'PATCH', `/api/services/${integration.client.id}`, { token: integration.token, body: { permissions: ['client:write'] } });
    expect(own.status).toBe(403);
    expect(await snapshot()).toEqual(before);
  });
});

describe('PATCH /api/services/{client_id}', () => {
  let service: { client_id: string; client_secret: string };
  beforeAll(async () => {
    service = (await adminApi('POST', '/api/services', { ...valid, client_id: 'patched_service' })).body.data;
  });

  test('the type cannot change: 422 says so, whatever else the body holds', async () => {
    const before = await snapshot();
    for (const body of [{ service_type: 'INTEGRATION' }, { service_type: 'PRINT_SERVICE' }, { name: 'Renamed', service_type: 'INTEGRATION' }]) {
      const res = await adminApi('PATCH', '/api/services/patched_service', body);
      expect({ status: res.status, body: res.body }).toEqual({
        status: 422,
        body: {
          error: {
            type: 'validation_failed', message: 'Validation failed',
            invalid: [{
              entry: '$.service_type', entry_type: 'json_data_property',
              rules: [{ rule: 'immutable', description: 'the service type cannot change after creation: delete the service and create a new one', params: { service_type: body.service_type } }],
            }],
          },
        },
      });
    }
    expect(await snapshot()).toEqual(before);
    expect((await adminApi('GET', '/api/services/patched_service')).body.data).toMatchObject({ name: 'Print Service', service_type: 'PRINT_SERVICE' });
  });

  test('names, permissions and unknown fields are checked as on creation', async () => {
    const before = await snapshot();
    await expect422('PATCH', '/api/services/patched_service', { name: '' }, { '$.name': ['minLength', 'pattern'] });
    await expect422('PATCH', '/api/services/patched_service', { name: 'x'.repeat(256) }, { '$.name': ['maxLength'] });
    await expect422('PATCH', '/api/services/patched_service', { permissions: ['printer:report', 'nothing:known'] }, { '$.permissions': ['inclusion'] });
    await expect422('PATCH', '/api/services/patched_service', { client_id: 'renamed_service' }, { '$.client_id': ['additionalProperties'] });
    await expect422('PATCH', '/api/services/patched_service', {}, { $: ['minProperties'] });
    await expect422('PATCH', '/api/services/Not-A-System-ID', { name: 'x' }, { '$.client_id': ['pattern'] }, 'path_parameter');
    expect(await snapshot()).toEqual(before);
  });

  test('an unknown service, or a client that is not a service, is 404', async () => {
    const notFound = { status: 404, body: { error: { type: 'not_found' } } };
    expect(await adminApi('PATCH', '/api/services/no_such_service', { name: 'x' })).toMatchObject(notFound);
    expect(await adminApi('PATCH', `/api/services/${admin.client.id}`, { name: 'x' })).toMatchObject(notFound);
    expect(await adminApi('GET', `/api/services/${admin.client.id}`)).toMatchObject(notFound);
    expect(await adminApi('DELETE', `/api/services/${admin.client.id}`)).toMatchObject(notFound);
    expect(await adminApi('POST', `/api/services/${admin.client.id}/actions/regenerate_secret`)).toMatchObject(notFound);
    expect((await adminApi('GET', `/api/clients/${admin.client.id}`)).status).toBe(200);
  });

  test('permissions replace the whole set: printer:report is not kept implicitly (CONTRACT §5)', async () => {
    const token = await accessToken(server, 'patched_service', service.client_secret, ['printer:report']);
    const res = await adminApi('PATCH', '/api/services/patched_service', { permissions: ['printer:read'] });
    expect(res.body.data.permissions).toEqual(['printer:read']);
    const refused = await api(server, 'PUT', '/api/print_service/printers', { token, body: { printers: [] } });
    expect(refused).toMatchObject({ status: 403, body: { error: { type: 'forbidden', message: 'Invalid scopes' } } });
    // A set is a set: a name given twice is a problem, not silently merged.
    await expect422('PATCH', '/api/services/patched_service', { permissions: ['printer:read', 'printer:read'] }, { '$.permissions': ['uniqueItems'] });
  });
});

describe('GET /api/services', () => {
  test('unknown or malformed filters are query_parameter problems', async () => {
    await expect422('GET', '/api/services?kind=x', undefined, { '$.kind': ['additionalProperties'] }, 'query_parameter');
    await expect422('GET', '/api/services?service_type=ADMIN', undefined, { '$.service_type': ['enum'] }, 'query_parameter');
    await expect422('GET', '/api/services?page=0&page_size=101', undefined, { '$.page': ['minimum'], '$.page_size': ['maximum'] }, 'query_parameter');
  });

  test('pages in the contract order and filters by type and name', async () => {
    await adminApi('POST', '/api/services', { client_id: 'zz_integration', name: 'Wholesaler Integration', service_type: 'INTEGRATION' });
    const all = await adminApi('GET', '/api/services?page_size=100');
    const ids = all.body.data.map((s: { client_id: string }) => s.client_id);
    const page2 = await adminApi('GET', '/api/services?page=2&page_size=2');
    expect(page2.body.data.map((s: { client_id: string }) => s.client_id)).toEqual(ids.slice(2, 4));
    expect(page2.body.paging).toEqual({ page_number: 2, page_size: 2, total_entries: ids.length, total_pages: Math.ceil(ids.length / 2) });
    const integrations = await adminApi('GET', '/api/services?service_type=INTEGRATION&name=WHOLESALER');
    expect(integrations.body.data.map((s: { client_id: string }) => s.client_id)).toEqual(['zz_integration']);
    expect((await adminApi('GET', '/api/services?name=%25')).body.data).toEqual([]);
    expect(all.text).not.toMatch(/secret|hash/);
  });
});
