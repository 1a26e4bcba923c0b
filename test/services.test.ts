// CONTRACT §2-§4, services and printers: the whole life of a print service, an integration, and two print
// services side by side, over HTTP against a real server on real PostgreSQL.
import { type ApiCaller, accessToken, api, callerOfType, tokenRequest } from './support/api.js';
import { introspect } from './support/oauth.js';
import { startServer, type TestServer } from './support/server.js';

let server: TestServer;
let admin: ApiCaller;

beforeAll(async () => {
  server = await startServer();
  admin = await callerOfType(server, 'ADMIN');
});

afterAll(() => server?.stop());

const ISO = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
const UUID = expect.stringMatching(/^[0-9a-f-]{36}$/);
const SECRET = /^[A-Za-z0-9_-]{43}$/;

const adminApi = (method: string, path: string, body?: unknown) => api(server, method, path, { token: admin.token, body });

async function createService(body: Record<string, unknown>) {
  const res = await adminApi('POST', '/api/services', body);
  if (res.status !== 201) throw new Error(`create service → ${res.status} ${res.text}`);
  return res.body.data as { client_id: string; client_secret: string; permissions: string[] };
}

async function report(token: string, printers: Array<{ system_name: string; description?: string; status: string }>) {
  return api(server, 'PUT', '/api/print_service/printers', { token, body: { printers } });
}

const introspectAsAdmin = async (token: string) => (await introspect(server.url, token, [admin.client.id, admin.self.secret])).body;

test('the whole life of a print service', async () => {
  // Create: the secret is shown this once.
  const created = await adminApi('POST', '/api/services', {
    client_id: 'printer_service_001', name: 'Print Service', service_type: 'PRINT_SERVICE', permissions: ['printer:read'],
  });
  expect(created.status).toBe(201);
  expect(created.body).toEqual({
    data: {
      client_id: 'printer_service_001', name: 'Print Service', service_type: 'PRINT_SERVICE',
      permissions: ['printer:report', 'printer:read'], inserted_at: ISO, updated_at: ISO, client_secret: expect.stringMatching(SECRET),
    },
  });
  const secret = created.body.data.client_secret as string;
  const { client_secret: _, ...service } = created.body.data;
  expect(await adminApi('GET', '/api/services/printer_service_001')).toMatchObject({ status: 200, body: { data: service } });
  const listed = await adminApi('GET', '/api/services?service_type=PRINT_SERVICE&name=print%20SERV');
  expect(listed.body).toEqual({ data: [service], paging: { page_number: 1, page_size: 50, total_entries: 1, total_pages: 1 } });
  expect(listed.text).not.toContain(secret);

  // A token with its permissions.
  const token = await accessToken(server, 'printer_service_001', secret, ['printer:report', 'printer:read']);
  expect(await introspectAsAdmin(token)).toMatchObject({
    active: true, client_id: 'printer_service_001', client_type: 'PRINT_SERVICE', scope: 'printer:report printer:read',
  });

  // The service reports what it sees.
  const first = await report(token, [
    { system_name: 'HP_LaserJet_Reception', description: 'HP LaserJet M404, reception', status: 'online' },
    { system_name: 'Zebra_Labels', description: 'Zebra ZD421', status: 'offline' },
    { system_name: 'Brother_Lab', status: 'error' },
  ]);
  expect(first.status).toBe(200);
  expect(first.body.data).toEqual([
    { id: UUID, service_id: 'printer_service_001', system_name: 'HP_LaserJet_Reception', description: 'HP LaserJet M404, reception', status: 'online', last_seen_at: ISO },
    { id: UUID, service_id: 'printer_service_001', system_name: 'Zebra_Labels', description: 'Zebra ZD421', status: 'offline', last_seen_at: ISO },
    { id: UUID, service_id: 'printer_service_001', system_name: 'Brother_Lab', description: '', status: 'error', last_seen_at: ISO },
  ]);
  const [hp, zebra, brother] = first.body.data as Array<{ id: string; last_seen_at: string }>;
  const available = await adminApi('GET', '/api/services/printer_service_001/available_printers');
  expect(available.body).toEqual({ data: first.body.data, paging: { page_number: 1, page_size: 50, total_entries: 3, total_pages: 1 } });

  // Assign two with friendly names.
  const reception = await adminApi('POST', '/api/services/printer_service_001/printers', { printer_id: hp.id, name: 'Reception printer' });
  expect(reception.status).toBe(201);
  expect(reception.body).toEqual({
    data: {
      id: UUID, service_id: 'printer_service_001', printer_id: hp.id, name: 'Reception printer', enabled: true,
      status: 'online', system_name: 'HP_LaserJet_Reception', last_seen_at: hp.last_seen_at, inserted_at: ISO, updated_at: ISO,
    },
  });
  const labels = await adminApi('POST', '/api/services/printer_service_001/printers', { printer_id: zebra.id, name: 'Label printer' });
  expect(labels.status).toBe(201);
  const stillAvailable = await adminApi('GET', '/api/services/printer_service_001/available_printers');
  expect(stillAvailable.body.data.map((p: { id: string }) => p.id)).toEqual([brother.id]);

  // Toggle one off, rename the other.
  const off = await adminApi('PATCH', `/api/services/printer_service_001/printers/${labels.body.data.id}`, { enabled: false });
  expect(off.body.data).toMatchObject({ id: labels.body.data.id, name: 'Label printer', enabled: false, status: 'offline' });
  const renamed = await adminApi('PATCH', `/api/services/printer_service_001/printers/${reception.body.data.id}`, { name: 'Front desk printer' });
  expect(renamed.body.data).toMatchObject({ name: 'Front desk printer', enabled: true });

  // The next report leaves the label printer out: it becomes unknown, last seen when it was last listed.
  const second = await report(token, [
    { system_name: 'HP_LaserJet_Reception', description: 'HP LaserJet M404, reception', status: 'offline' },
    { system_name: 'Brother_Lab', status: 'online' },
  ]);
  expect(second.body.data.map((p: { system_name: string; status: string }) => [p.system_name, p.status])).toEqual([
    ['HP_LaserJet_Reception', 'offline'], ['Zebra_Labels', 'unknown'], ['Brother_Lab', 'online'],
  ]);
  const printers = await adminApi('GET', '/api/services/printer_service_001/printers');
  expect(printers.body).toEqual({
    data: [
      { ...renamed.body.data, status: 'offline', last_seen_at: ISO },
      { ...off.body.data, status: 'unknown', last_seen_at: zebra.last_seen_at },
    ],
    paging: { page_number: 1, page_size: 50, total_entries: 2, total_pages: 1 },
  });
  expect(Date.parse(printers.body.data[0].last_seen_at)).toBeGreaterThan(Date.parse(hp.last_seen_at));

  // Regenerate the secret: the old one fails and the earlier token is inactive, at once.
  const regenerated = await adminApi('POST', '/api/services/printer_service_001/actions/regenerate_secret');
  expect(regenerated.status).toBe(200);
  expect(regenerated.body).toEqual({ data: { ...service, client_secret: expect.stringMatching(SECRET) } });
  const newSecret = regenerated.body.data.client_secret as string;
  expect(newSecret).not.toBe(secret);
  expect(await tokenRequest(server, 'printer_service_001', secret, 'printer:report')).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
  expect(await introspectAsAdmin(token)).toEqual({ active: false });
  expect((await report(token, [])).status).toBe(401);

  // Remove a permission: a token issued before loses it at once, in /api and in introspection.
  const token2 = await accessToken(server, 'printer_service_001', newSecret, ['printer:report', 'printer:read']);
  expect((await api(server, 'GET', '/api/services/printer_service_001/printers', { token: token2 })).status).toBe(200);
  const narrowed = await adminApi('PATCH', '/api/services/printer_service_001', { permissions: ['printer:report'] });
  expect(narrowed.body.data).toMatchObject({ client_id: 'printer_service_001', permissions: ['printer:report'] });
  const lost = await api(server, 'GET', '/api/services/printer_service_001/printers', { token: token2 });
  expect(lost).toMatchObject({ status: 403, body: { error: { type: 'forbidden', message: 'Invalid scopes' } } });
  expect(await introspectAsAdmin(token2)).toMatchObject({ active: true, scope: 'printer:report' });
  expect((await report(token2, [{ system_name: 'Brother_Lab', status: 'online' }])).status).toBe(200);
  expect(await tokenRequest(server, 'printer_service_001', newSecret, 'printer:read')).toMatchObject({ status: 400, body: { error: 'invalid_scope' } });
  // Adding one is available to the next token.
  await adminApi('PATCH', '/api/services/printer_service_001', { permissions: ['printer:report', 'service:read'] });
  const token3 = await accessToken(server, 'printer_service_001', newSecret, ['service:read']);
  expect((await api(server, 'GET', '/api/services', { token: token3 })).body.data).toEqual([
    { ...service, permissions: ['printer:report', 'service:read'], updated_at: ISO },
  ]);

  // Delete: printers, connection and tokens go with it.
  expect((await adminApi('DELETE', '/api/services/printer_service_001')).status).toBe(204);
  expect(await adminApi('GET', '/api/services/printer_service_001')).toMatchObject({ status: 404, body: { error: { type: 'not_found' } } });
  expect((await adminApi('GET', '/api/services/printer_service_001/printers')).status).toBe(404);
  expect(await introspectAsAdmin(token3)).toEqual({ active: false });
  expect((await api(server, 'GET', '/api/services', { token: token3 })).status).toBe(401);
  expect((await tokenRequest(server, 'printer_service_001', newSecret)).status).toBe(401);
  const rows = await server.gatehouse.db.dataSource.query(
    `SELECT (SELECT count(*) FROM system_printers WHERE service_id = $1) AS s, (SELECT count(*) FROM service_printers WHERE service_id = $1) AS p,
            (SELECT count(*) FROM connections WHERE client_id = $1) AS c`, ['printer_service_001']);
  expect(rows[0]).toEqual({ s: '0', p: '0', c: '0' });

  // Every change is in the audit log, and no secret is.
  const audit = await adminApi('GET', '/api/audit_events?target_id=printer_service_001&page_size=100');
  expect(audit.status).toBe(200);
  expect(audit.body.data.map((e: { action: string }) => e.action)).toEqual([
    'client.create', 'service.create', 'printer.report', 'printer.report', 'service.regenerate_secret',
    'service.update', 'printer.report', 'service.update', 'service.delete',
  ]);
  expect(audit.body.data.find((e: { action: string }) => e.action === 'service.update').details)
    .toEqual({ permissions: ['printer:report'], added: [], removed: ['printer:read'] });
  const printerAudit = await adminApi('GET', `/api/audit_events?target_id=${renamed.body.data.id}`);
  expect(printerAudit.body.data.map((e: { action: string; actor_id: string }) => [e.action, e.actor_id])).toEqual([
    ['printer.assign', admin.client.id], ['printer.update', admin.client.id],
  ]);
  const everything = await adminApi('GET', '/api/audit_events?page_size=100');
  expect(everything.text).not.toContain(secret);
  expect(everything.text).not.toContain(newSecret);
});

test('an integration has no printers tab and cannot report printers', async () => {
  const { client_secret } = await createService({
    client_id: 'pharmacy_integration', name: 'Wholesaler Integration', service_type: 'INTEGRATION', permissions: ['service:read'],
  });
  const notFound = { status: 404, body: { error: { type: 'not_found' } } };
  expect(await adminApi('GET', '/api/services/pharmacy_integration/printers')).toMatchObject(notFound);
  expect(await adminApi('GET', '/api/services/pharmacy_integration/available_printers')).toMatchObject(notFound);
  const anyUuid = '00000000-0000-4000-8000-000000000000';
  expect(await adminApi('POST', '/api/services/pharmacy_integration/printers', { printer_id: anyUuid, name: 'x' })).toMatchObject(notFound);
  expect(await adminApi('PATCH', `/api/services/pharmacy_integration/printers/${anyUuid}`, { name: 'x' })).toMatchObject(notFound);

  const token = await accessToken(server, 'pharmacy_integration', client_secret, ['service:read']);
  expect(await report(token, [{ system_name: 'P1', status: 'online' }]))
    .toMatchObject({ status: 403, body: { error: { type: 'forbidden', message: 'Invalid scopes' } } });
  // Even an integration that an admin gave printer:report is refused: reporting is a print service's own act.
  await adminApi('PATCH', '/api/services/pharmacy_integration', { permissions: ['service:read', 'printer:report'] });
  const reporting = await accessToken(server, 'pharmacy_integration', client_secret, ['printer:report']);
  expect(await report(reporting, [{ system_name: 'P1', status: 'online' }]))
    .toMatchObject({ status: 403, body: { error: { type: 'forbidden', message: 'forbidden' } } });
  expect((await server.gatehouse.db.dataSource.query('SELECT count(*) FROM system_printers WHERE service_id = $1', ['pharmacy_integration']))[0].count).toBe('0');
  // It sees only itself, and it is not a print service's printer admin either.
  expect((await api(server, 'GET', '/api/services', { token })).body.data.map((s: { client_id: string }) => s.client_id)).toEqual(['pharmacy_integration']);
  expect(await api(server, 'GET', '/api/services/printer_service_001', { token }))
    .toMatchObject({ status: 403, body: { error: { type: 'forbidden', message: 'forbidden' } } });
});

test('two print services keep separate printers and permissions', async () => {
  const a = await createService({ client_id: 'lab_printer_service', name: 'Laboratory Printers', service_type: 'PRINT_SERVICE', permissions: ['printer:read'] });
  const b = await createService({ client_id: 'ward_printer_service', name: 'Ward Printers', service_type: 'PRINT_SERVICE', permissions: ['printer:read'] });
  const tokenA = await accessToken(server, a.client_id, a.client_secret, ['printer:report', 'printer:read']);
  const tokenB = await accessToken(server, b.client_id, b.client_secret, ['printer:report', 'printer:read']);
  const reportA = await report(tokenA, [{ system_name: 'Shared_Name', status: 'online' }, { system_name: 'Lab_Only', status: 'online' }]);
  const reportB = await report(tokenB, [{ system_name: 'Shared_Name', status: 'offline' }]);
  expect(reportA.body.data.map((p: { service_id: string }) => p.service_id)).toEqual([a.client_id, a.client_id]);
  expect(reportB.body.data).toEqual([expect.objectContaining({ service_id: b.client_id, system_name: 'Shared_Name', status: 'offline' })]);
  expect(reportB.body.data[0].id).not.toBe(reportA.body.data[0].id);
  // B reporting an empty list leaves A's printers alone.
  await report(tokenB, []);
  const availableA = await adminApi('GET', `/api/services/${a.client_id}/available_printers`);
  expect(availableA.body.data.map((p: { status: string }) => p.status)).toEqual(['online', 'online']);

  await adminApi('POST', `/api/services/${a.client_id}/printers`, { printer_id: reportA.body.data[1].id, name: 'Lab printer' });
  expect((await api(server, 'GET', `/api/services/${a.client_id}/printers`, { token: tokenA })).body.data.map((p: { name: string }) => p.name)).toEqual(['Lab printer']);
  expect((await api(server, 'GET', `/api/services/${b.client_id}/printers`, { token: tokenB })).body.data).toEqual([]);
  // Each service addresses only itself.
  expect(await api(server, 'GET', `/api/services/${a.client_id}/printers`, { token: tokenB }))
    .toMatchObject({ status: 403, body: { error: { type: 'forbidden', message: 'forbidden' } } });

  // Narrowing A's permissions leaves B's token as it was.
  await adminApi('PATCH', `/api/services/${a.client_id}`, { permissions: ['printer:report'] });
  expect((await api(server, 'GET', `/api/services/${a.client_id}/printers`, { token: tokenA })).status).toBe(403);
  expect((await api(server, 'GET', `/api/services/${b.client_id}/printers`, { token: tokenB })).status).toBe(200);

  // Deleting A leaves B and its printers.
  expect((await adminApi('DELETE', `/api/services/${a.client_id}`)).status).toBe(204);
  expect((await report(tokenB, [{ system_name: 'Shared_Name', status: 'online' }])).body.data).toEqual([
    expect.objectContaining({ id: reportB.body.data[0].id, status: 'online' }),
  ]);
  expect((await adminApi('GET', '/api/services?service_type=PRINT_SERVICE')).body.data.map((s: { client_id: string }) => s.client_id))
    .toEqual([b.client_id]);
});
