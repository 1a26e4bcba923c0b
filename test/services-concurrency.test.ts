// Services and printers under concurrent requests: one winner where one is allowed, no 500, no deadlock.
import { type ApiCaller, accessToken, api, callerOfType, tokenRequest } from './support/api.js';
import { startServer, type TestServer } from './support/server.js';

let server: TestServer;
let admin: ApiCaller;

beforeAll(async () => {
  server = await startServer({ env: { DB_POOL_SIZE: '8' } });
  admin = await callerOfType(server, 'ADMIN');
});

afterAll(() => server?.stop());

const adminApi = (method: string, path: string, body?: unknown) => api(server, method, path, { token: admin.token, body });
const statuses = (responses: Array<{ status: number }>) => responses.map((r) => r.status).sort();

test('the same System ID created eight times at once: one 201, seven 409, one self-connection', async () => {
  const body = { client_id: 'raced_service', name: 'Raced', service_type: 'PRINT_SERVICE' };
  const responses = await Promise.all(Array.from({ length: 8 }, () => adminApi('POST', '/api/services', body)));
  expect(statuses(responses)).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
  const winner = responses.find((r) => r.status === 201)!;
  expect((await tokenRequest(server, 'raced_service', winner.body.data.client_secret, 'printer:report')).status).toBe(200);
  const rows = await server.gatehouse.db.dataSource.query('SELECT count(*) FROM connections WHERE client_id = $1', ['raced_service']);
  expect(rows[0].count).toBe('1');
});

test('five regenerations at once: every call answers, exactly the last secret works', async () => {
  const responses = await Promise.all(Array.from({ length: 5 }, () => adminApi('POST', '/api/services/raced_service/actions/regenerate_secret')));
  expect(statuses(responses)).toEqual([200, 200, 200, 200, 200]);
  const working = [];
  for (const r of responses) {
    if ((await tokenRequest(server, 'raced_service', r.body.data.client_secret, 'printer:report')).status === 200) working.push(r);
  }
  expect(working).toHaveLength(1);
});

test('concurrent reports of one service, assignments and a permission change: all answer, state stays whole', async () => {
  const created = await adminApi('POST', '/api/services', { client_id: 'busy_service', name: 'Busy', service_type: 'PRINT_SERVICE' });
  const token = await accessToken(server, 'busy_service', created.body.data.client_secret, ['printer:report']);
  const lists = Array.from({ length: 12 }, (_, i) => Array.from({ length: 10 }, (__, j) => ({
    // Every report lists a different window of printers in a different order.
    system_name: `P${(i + j) % 15}`, status: j % 2 ? 'online' : 'offline',
  })).reverse());
  const responses = await Promise.all(lists.map((printers) => api(server, 'PUT', '/api/print_service/printers', { token, body: { printers } })));
  expect(new Set(responses.map((r) => r.status))).toEqual(new Set([200]));
  const rows = await server.gatehouse.db.dataSource.query(
    `SELECT count(*) AS total, count(DISTINCT system_name) AS names, count(*) FILTER (WHERE status <> 'unknown') AS seen
     FROM system_printers WHERE service_id = $1`, ['busy_service']);
  expect(rows[0]).toEqual({ total: '15', names: '15', seen: '10' });

  const available = (await adminApi('GET', '/api/services/busy_service/available_printers')).body.data as Array<{ id: string }>;
  const assigns = await Promise.all([
    adminApi('POST', '/api/services/busy_service/printers', { printer_id: available[0].id, name: 'First' }),
    adminApi('POST', '/api/services/busy_service/printers', { printer_id: available[0].id, name: 'Second' }),
    adminApi('PATCH', '/api/services/busy_service', { permissions: ['printer:report', 'printer:read'] }),
    api(server, 'PUT', '/api/print_service/printers', { token, body: { printers: [] } }),
  ]);
  expect(assigns.map((r) => r.status).slice(2)).toEqual([200, 200]);
  expect(statuses(assigns.slice(0, 2))).toEqual([201, 409]);
  expect((await adminApi('GET', '/api/services/busy_service/printers')).body.data).toHaveLength(1);
});
