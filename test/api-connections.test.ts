// /api/clients/{id}/connections (CONTRACT §4): bodies, filters, paging, the context rule, PATCH, DELETE, and
// that no response ever carries a secret or a hash.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { api, callerOfType, type ApiCaller, type ApiResponse } from './support/api.js';
import { createClient, putConnection, type TestConnection } from './support/internal.js';
import { startServer, type TestServer } from './support/server.js';

const FORBIDDEN = { error: { type: 'forbidden', message: 'forbidden' } };
const NOT_FOUND = { error: { type: 'not_found' } };
const TIMESTAMP = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
const UNKNOWN_UUID = '0b0c9a1e-1111-4222-8333-444455556666';

let server: TestServer;
let admin: ApiCaller;
const callers: Record<string, ApiCaller> = {};
const responses: ApiResponse[] = [];

/** Every response of this file is kept, to prove afterwards that none carried a secret or a hash. */
async function call(method: string, path: string, options: Parameters<typeof api>[3] = {}) {
  const res = await api(server, method, path, options);
  responses.push(res);
  return res;
}

function view(c: TestConnection, extra: Record<string, unknown> = {}) {
  return {
    id: c.id, client_id: c.client_id, consumer_id: c.consumer_id, redirect_uri: c.redirect_uri,
    inserted_at: TIMESTAMP, updated_at: TIMESTAMP, ...extra,
  };
}

beforeAll(async () => {
  server = await startServer();
  admin = await callerOfType(server, 'ADMIN');
  for (const type of ['MSP', 'MIS', 'PHARMACY']) callers[type] = await callerOfType(server, type);
});
afterAll(() => server?.stop());

describe('GET /api/clients/{id}/connections', () => {
  let provider: string;
  const made: TestConnection[] = [];
  beforeAll(async () => {
    provider = (await createClient(server, { client_type: 'MSP', name: 'Provider' })).id;
    made.push(await putConnection(server, provider, { consumer_id: provider }));
    for (const type of ['MSP', 'MIS', 'PHARMACY']) {
      made.push(await putConnection(server, provider, { consumer_id: callers[type].client.id, redirect_uri: `https://${type.toLowerCase()}.example/cb` }));
    }
  });

  test('ADMIN lists a client\'s connections in order, with paging and exactly the contract fields', async () => {
    const res = await call('GET', `/api/clients/${provider}/connections`, { token: admin.token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      data: made.map((c) => view(c)),
      paging: { page_number: 1, page_size: 50, total_entries: 4, total_pages: 1 },
    });
  });

  test('paging: page_size 3, page 2', async () => {
    const res = await call('GET', `/api/clients/${provider}/connections?page=2&page_size=3`, { token: admin.token });
    expect(res.body).toEqual({ data: [view(made[3])], paging: { page_number: 2, page_size: 3, total_entries: 4, total_pages: 2 } });
  });

  test('filters consumer_id and redirect_uri match exactly', async () => {
    const byConsumer = await call('GET', `/api/clients/${provider}/connections?consumer_id=${callers.MIS.client.id}`, { token: admin.token });
    expect(byConsumer.body.data).toEqual([view(made[2])]);
    const byUri = await call('GET', `/api/clients/${provider}/connections?redirect_uri=${encodeURIComponent('https://pharmacy.example/cb')}`, { token: admin.token });
    expect(byUri.body.data).toEqual([view(made[3])]);
    const none = await call('GET', `/api/clients/${provider}/connections?redirect_uri=https://pharmacy.example`, { token: admin.token });
    expect(none.body).toEqual({ data: [], paging: { page_number: 1, page_size: 50, total_entries: 0, total_pages: 0 } });
  });

  test.each(['MSP', 'MIS', 'PHARMACY'])('%s lists its own connections and gets 403 for another client', async (type) => {
    const me = callers[type];
    const own = await call('GET', `/api/clients/${me.client.id}/connections`, { token: me.token });
    expect(own.body.data).toEqual([view(me.self)]);
    // Being the consumer of another client's connection does not let it address that client.
    const other = await call('GET', `/api/clients/${provider}/connections`, { token: me.token });
    expect(other.status).toBe(403);
    expect(other.body).toEqual(FORBIDDEN);
  });

  test('unknown client → 404 for ADMIN', async () => {
    const res = await call('GET', `/api/clients/${UNKNOWN_UUID}/connections`, { token: admin.token });
    expect(res.status).toBe(404);
    expect(res.body).toEqual(NOT_FOUND);
  });
});

describe('GET /api/clients/{id}/connections/{connection_id}', () => {
  test('one connection; another client\'s connection id under this client is 404', async () => {
    const me = callers.MSP;
    const res = await call('GET', `/api/clients/${me.client.id}/connections/${me.self.id}`, { token: me.token });
    expect(res.body).toEqual({ data: view(me.self) });
    const upper = await call('GET', `/api/clients/${me.client.id}/connections/${me.self.id.toUpperCase()}`, { token: me.token });
    expect(upper.body).toEqual({ data: view(me.self) });
    const mismatched = await call('GET', `/api/clients/${me.client.id}/connections/${callers.MIS.self.id}`, { token: me.token });
    expect(mismatched.body).toEqual(NOT_FOUND);
    const unknown = await call('GET', `/api/clients/${me.client.id}/connections/${UNKNOWN_UUID}`, { token: admin.token });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual(NOT_FOUND);
  });

  test.each(['MSP', 'MIS', 'PHARMACY'])('%s gets 403 for a connection of another client', async (type) => {
    const res = await call('GET', `/api/clients/${admin.client.id}/connections/${admin.self.id}`, { token: callers[type].token });
    expect(res.body).toEqual(FORBIDDEN);
  });

  test('a non-UUID connection id → 422 path_parameter', async () => {
    const res = await call('GET', `/api/clients/${admin.client.id}/connections/123`, { token: admin.token });
    expect(res.status).toBe(422);
    expect(res.body).toEqual({
      error: {
        type: 'validation_failed', message: expect.any(String),
        invalid: [{ entry: '$.connection_id', entry_type: 'path_parameter', rules: [expect.objectContaining({ rule: 'format' })] }],
      },
    });
  });
});

describe('PATCH /api/clients/{id}/connections/{connection_id}', () => {
  test.each(['MSP', 'MIS', 'PHARMACY'])('%s changes the redirect_uri of its own connection', async (type) => {
    const me = callers[type];
    const consumer = await createClient(server, { client_type: 'MIS' });
    const conn = await putConnection(server, me.client.id, { consumer_id: consumer.id, redirect_uri: 'https://before.example/cb' });
    const res = await call('PATCH', `/api/clients/${me.client.id}/connections/${conn.id}`, {
      token: me.token, body: { redirect_uri: 'http://127.0.0.1:8080/cb' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: view(conn, { redirect_uri: 'http://127.0.0.1:8080/cb' }) });
    const other = await call('PATCH', `/api/clients/${admin.client.id}/connections/${admin.self.id}`, {
      token: me.token, body: { redirect_uri: 'https://evil.example/cb' },
    });
    expect(other.body).toEqual(FORBIDDEN);
  });

  test('any field besides redirect_uri → 422 naming it, and nothing changed', async () => {
    const consumer = await createClient(server, { client_type: 'PHARMACY' });
    const conn = await putConnection(server, admin.client.id, { consumer_id: consumer.id, redirect_uri: 'https://keep.example/cb' });
    for (const body of [
      { redirect_uri: 'https://new.example/cb', consumer_id: admin.client.id },
      { redirect_uri: 'https://new.example/cb', secret: 'mine' },
      { client_id: callers.MSP.client.id },
    ]) {
      const res = await call('PATCH', `/api/clients/${admin.client.id}/connections/${conn.id}`, { token: admin.token, body });
      expect(res.status).toBe(422);
      const extra = Object.keys(body).find((k) => k !== 'redirect_uri')!;
      expect(res.body.error.invalid).toContainEqual({
        entry: `$.${extra}`, entry_type: 'json_data_property',
        rules: [{ rule: 'additionalProperties', description: expect.any(String), params: { additionalProperty: extra } }],
      });
    }
    const after = await call('GET', `/api/clients/${admin.client.id}/connections/${conn.id}`, { token: admin.token });
    expect(after.body).toEqual({ data: view(conn) });
  });

  test('a redirect_uri that another connection of the client has → 409', async () => {
    const [a, b] = [await createClient(server, { client_type: 'MIS' }), await createClient(server, { client_type: 'MIS' })];
    await putConnection(server, admin.client.id, { consumer_id: a.id, redirect_uri: 'https://taken.example/cb' });
    const conn = await putConnection(server, admin.client.id, { consumer_id: b.id, redirect_uri: 'https://free.example/cb' });
    const res = await call('PATCH', `/api/clients/${admin.client.id}/connections/${conn.id}`, {
      token: admin.token, body: { redirect_uri: 'https://taken.example/cb' },
    });
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ error: { type: 'conflict', message: expect.any(String) } });
  });

  test('unknown connection → 404', async () => {
    const res = await call('PATCH', `/api/clients/${admin.client.id}/connections/${UNKNOWN_UUID}`, {
      token: admin.token, body: { redirect_uri: 'https://x.example/cb' },
    });
    expect(res.status).toBe(404);
    expect(res.body).toEqual(NOT_FOUND);
  });
});

describe('DELETE /api/clients/{id}/connections/{connection_id}', () => {
  test.each(['MSP', 'MIS', 'PHARMACY'])('%s deletes its own connection: 204, then 404', async (type) => {
    const me = callers[type];
    const consumer = await createClient(server, { client_type: 'PHARMACY' });
    const conn = await putConnection(server, me.client.id, { consumer_id: consumer.id, redirect_uri: 'https://gone.example/cb' });
    const other = await call('DELETE', `/api/clients/${admin.client.id}/connections/${admin.self.id}`, { token: me.token });
    expect(other.body).toEqual(FORBIDDEN);
    const res = await call('DELETE', `/api/clients/${me.client.id}/connections/${conn.id}`, { token: me.token });
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect((await call('DELETE', `/api/clients/${me.client.id}/connections/${conn.id}`, { token: me.token })).body).toEqual(NOT_FOUND);
    expect((await call('GET', `/api/clients/${me.client.id}/connections/${conn.id}`, { token: me.token })).status).toBe(404);
  });
});

describe('PATCH …/actions/refresh_secret', () => {
  test.each(['MSP', 'MIS', 'PHARMACY'])('%s refreshes its own connection: the connection plus data.secret; another client → 403', async (type) => {
    const me = callers[type];
    const consumer = await createClient(server, { client_type: 'MSP' });
    const conn = await putConnection(server, me.client.id, { consumer_id: consumer.id, redirect_uri: 'https://r.example/cb' });
    const res = await call('PATCH', `/api/clients/${me.client.id}/connections/${conn.id}/actions/refresh_secret`, { token: me.token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: { ...view(conn), secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) } });
    expect(res.body.data.secret).not.toBe(conn.secret);
    const other = await call('PATCH', `/api/clients/${admin.client.id}/connections/${admin.self.id}/actions/refresh_secret`, { token: me.token });
    expect(other.body).toEqual(FORBIDDEN);
  });

  test('unknown connection → 404', async () => {
    const res = await call('PATCH', `/api/clients/${admin.client.id}/connections/${UNKNOWN_UUID}/actions/refresh_secret`, { token: admin.token });
    expect(res.body).toEqual(NOT_FOUND);
  });
});

describe('no secret and no hash in any response', () => {
  test('list, detail and update responses carry neither; refresh_secret carries only its one new secret', async () => {
    const { rows } = await server.gatehouse.db.pool.query<{ secret_hash: string }>('SELECT secret_hash FROM connections');
    expect(rows.length).toBeGreaterThan(5);
    expect(responses.length).toBeGreaterThan(30);
    for (const res of responses) {
      for (const { secret_hash } of rows) expect(res.text).not.toContain(secret_hash);
      expect(res.text).not.toMatch(/hash/i);
      if (res.status >= 300) continue;
      const isRefresh = res.body?.data?.secret !== undefined;
      const items = Array.isArray(res.body?.data) ? res.body.data : res.body?.data ? [res.body.data] : [];
      for (const item of items) {
        expect(Object.keys(item).filter((k) => /secret|hash/i.test(k))).toEqual(isRefresh ? ['secret'] : []);
      }
      for (const c of [admin, ...Object.values(callers)]) expect(res.text).not.toContain(c.self.secret);
    }
  });
});
