// /api/clients (CONTRACT §4): bodies, filters, paging, the context rule per client type, and PATCH.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { api, callerOfType, tokenRequest, type ApiCaller } from './support/api.js';
import { createClient, type TestClient } from './support/internal.js';
import { startServer, type TestServer } from './support/server.js';

const FORBIDDEN = { error: { type: 'forbidden', message: 'forbidden' } };
const NOT_FOUND = { error: { type: 'not_found' } };
const TIMESTAMP = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);

let server: TestServer;
let admin: ApiCaller;
const callers: Record<string, ApiCaller> = {};

beforeAll(async () => {
  server = await startServer();
  admin = await callerOfType(server, 'ADMIN', { name: 'Admin Console' });
  for (const type of ['MSP', 'MIS', 'PHARMACY']) callers[type] = await callerOfType(server, type, { name: `Acme ${type}` });
});
afterAll(() => server?.stop());

function clientBody(c: TestClient, extra: Record<string, unknown> = {}) {
  return {
    id: c.id, name: c.name, client_type: c.client_type, permissions: c.permissions,
    is_blocked: false, block_reason: null, inserted_at: TIMESTAMP, updated_at: TIMESTAMP, ...extra,
  };
}

describe('GET /api/clients/{id}', () => {
  test('ADMIN reads any client: exactly the contract fields', async () => {
    const res = await api(server, 'GET', `/api/clients/${callers.MSP.client.id}`, { token: admin.token });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: clientBody(callers.MSP.client) });
  });

  test('a service is addressed by its System ID', async () => {
    const svc = await createClient(server, { id: 'printer_service_001', client_type: 'PRINT_SERVICE' });
    const res = await api(server, 'GET', '/api/clients/printer_service_001', { token: admin.token });
    expect(res.body).toEqual({ data: clientBody(svc) });
  });

  test('an upper-case UUID finds the same client', async () => {
    const res = await api(server, 'GET', `/api/clients/${callers.MIS.client.id.toUpperCase()}`, { token: admin.token });
    expect(res.body.data.id).toBe(callers.MIS.client.id);
  });

  test.each(['MSP', 'MIS', 'PHARMACY'])('%s reads itself, gets 403 for another client', async (type) => {
    const me = callers[type];
    const own = await api(server, 'GET', `/api/clients/${me.client.id}`, { token: me.token });
    expect(own.body).toEqual({ data: clientBody(me.client) });
    const other = await api(server, 'GET', `/api/clients/${admin.client.id}`, { token: me.token });
    expect(other.status).toBe(403);
    expect(other.body).toEqual(FORBIDDEN);
  });

  test('unknown id → 404; malformed id → 422 path_parameter', async () => {
    const unknown = await api(server, 'GET', '/api/clients/7b0c9a1e-1111-4222-8333-444455556666', { token: admin.token });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual(NOT_FOUND);
    expect((await api(server, 'GET', '/api/clients/unknown_service', { token: admin.token })).body).toEqual(NOT_FOUND);
    // A 35-character hex-and-dash string is a well-formed System ID, so it is unknown (404), not malformed.
    expect((await api(server, 'GET', '/api/clients/7b0c9a1e-1111-4222-8333-44445555666', { token: admin.token })).status).toBe(404);
    for (const bad of ['ab', 'Not_A_System_Id', '7B0C9A1E-1111-4222-8333-44445555666', '%20x%20', 'x'.repeat(65), '_abc']) {
      const res = await api(server, 'GET', `/api/clients/${bad}`, { token: admin.token });
      expect(res.status).toBe(422);
      expect(res.body).toEqual({
        error: {
          type: 'validation_failed', message: expect.any(String),
          invalid: [{ entry: '$.id', entry_type: 'path_parameter', rules: [expect.objectContaining({ rule: 'pattern' })] }],
        },
      });
    }
  });
});

describe('GET /api/clients', () => {
  test('ADMIN lists every client in a stable order with paging', async () => {
    const res = await api(server, 'GET', '/api/clients', { token: admin.token });
    expect(res.status).toBe(200);
    const total = res.body.paging.total_entries;
    expect(res.body.paging).toEqual({ page_number: 1, page_size: 50, total_entries: total, total_pages: Math.ceil(total / 50) });
    expect(res.body.data.map((c: { id: string }) => c.id).slice(0, 4)).toEqual(
      [admin.client.id, callers.MSP.client.id, callers.MIS.client.id, callers.PHARMACY.client.id],
    );
    expect(res.body.data[0]).toEqual(clientBody(admin.client));
  });

  test('paging walks the list without gaps or repeats', async () => {
    for (let i = 0; i < 7; i++) await createClient(server, { client_type: 'MIS', name: `Paging ${i}` });
    const all = await api(server, 'GET', '/api/clients?page_size=100', { token: admin.token });
    const ids: string[] = [];
    const pages = Math.ceil(all.body.paging.total_entries / 3);
    for (let page = 1; page <= pages; page++) {
      const res = await api(server, 'GET', `/api/clients?page=${page}&page_size=3`, { token: admin.token });
      expect(res.body.paging).toEqual({ page_number: page, page_size: 3, total_entries: all.body.paging.total_entries, total_pages: pages });
      ids.push(...res.body.data.map((c: { id: string }) => c.id));
    }
    expect(ids).toEqual(all.body.data.map((c: { id: string }) => c.id));
    const beyond = await api(server, 'GET', `/api/clients?page=${pages + 1}&page_size=3`, { token: admin.token });
    expect(beyond.body.data).toEqual([]);
    expect(beyond.body.paging.total_entries).toBe(all.body.paging.total_entries);
  });

  test('filters: name (substring, any case), client_type, is_blocked', async () => {
    const byName = await api(server, 'GET', '/api/clients?name=aCmE%20m', { token: admin.token });
    expect(byName.body.data.map((c: { id: string }) => c.id).sort()).toEqual([callers.MSP.client.id, callers.MIS.client.id].sort());
    const wildcard = await api(server, 'GET', '/api/clients?name=%25', { token: admin.token });
    expect(wildcard.body.data).toEqual([]);
    const byType = await api(server, 'GET', '/api/clients?client_type=PHARMACY', { token: admin.token });
    expect(byType.body.data.map((c: { id: string }) => c.id)).toEqual([callers.PHARMACY.client.id]);
    const blocked = await createClient(server, { client_type: 'MSP', name: 'Blocked MSP' });
    await api(server, 'PATCH', `/api/clients/${blocked.id}`, { token: admin.token, body: { is_blocked: true, block_reason: 'unpaid' } });
    const byBlocked = await api(server, 'GET', '/api/clients?is_blocked=true', { token: admin.token });
    expect(byBlocked.body.data).toEqual([clientBody(blocked, { is_blocked: true, block_reason: 'unpaid' })]);
    const notBlocked = await api(server, 'GET', '/api/clients?is_blocked=false&client_type=MSP', { token: admin.token });
    expect(notBlocked.body.data.map((c: { id: string }) => c.id)).toEqual([callers.MSP.client.id]);
  });

  test.each(['MSP', 'MIS', 'PHARMACY'])('%s sees only itself in the list', async (type) => {
    const res = await api(server, 'GET', '/api/clients', { token: callers[type].token });
    expect(res.body).toEqual({
      data: [clientBody(callers[type].client)],
      paging: { page_number: 1, page_size: 50, total_entries: 1, total_pages: 1 },
    });
    const filtered = await api(server, 'GET', '/api/clients?client_type=ADMIN', { token: callers[type].token });
    expect(filtered.body.data).toEqual([]);
  });

  test('bad query: unknown parameter, page_size over 100, negative or zero page, wrong types; every problem listed', async () => {
    const res = await api(server, 'GET', '/api/clients?page=-1&page_size=101&is_blocked=maybe&client_type=ROOT&sort=id', { token: admin.token });
    expect(res.status).toBe(422);
    expect(res.body.error.type).toBe('validation_failed');
    const entries = Object.fromEntries(res.body.error.invalid.map((e: { entry: string; entry_type: string; rules: Array<{ rule: string }> }) => {
      expect(e.entry_type).toBe('query_parameter');
      return [e.entry, e.rules.map((r) => r.rule)];
    }));
    expect(entries).toEqual({
      '$.page': ['minimum'], '$.page_size': ['maximum'], '$.is_blocked': ['type'], '$.client_type': ['enum'], '$.sort': ['additionalProperties'],
    });
    for (const q of ['page=0', 'page=1.5', 'page=abc', 'page_size=0', 'page=1&page=2']) {
      const r = await api(server, 'GET', `/api/clients?${q}`, { token: admin.token });
      expect(r.status).toBe(422);
      expect(r.body.error.invalid[0].entry_type).toBe('query_parameter');
    }
  });
});

describe('PATCH /api/clients/{id}', () => {
  test('rename', async () => {
    const c = await createClient(server, { client_type: 'MIS', name: 'Old name' });
    const res = await api(server, 'PATCH', `/api/clients/${c.id}`, { token: admin.token, body: { name: 'New name' } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ data: clientBody(c, { name: 'New name' }) });
    expect((await api(server, 'GET', `/api/clients/${c.id}`, { token: admin.token })).body.data.name).toBe('New name');
  });

  test('block revokes every token of the client and its secrets fail; unblock lets secrets work again', async () => {
    const me = await callerOfType(server, 'MSP');
    const res = await api(server, 'PATCH', `/api/clients/${me.client.id}`, { token: admin.token, body: { is_blocked: true, block_reason: 'fraud' } });
    expect(res.body).toEqual({ data: clientBody(me.client, { is_blocked: true, block_reason: 'fraud' }) });
    expect((await tokenRequest(server, me.client.id, me.self.secret)).body.error).toBe('invalid_client');

    const unblock = await api(server, 'PATCH', `/api/clients/${me.client.id}`, { token: admin.token, body: { is_blocked: false } });
    expect(unblock.body).toEqual({ data: clientBody(me.client) });
    // The token issued before blocking stays revoked; a new one works.
    expect((await api(server, 'GET', `/api/clients/${me.client.id}`, { token: me.token })).status).toBe(401);
    expect((await tokenRequest(server, me.client.id, me.self.secret)).status).toBe(200);
  });

  test.each(['MSP', 'MIS', 'PHARMACY'])('%s may not PATCH itself or another client (ADMIN only)', async (type) => {
    const me = await callerOfType(server, type, { permissions: ['client:write'] });
    for (const id of [me.client.id, admin.client.id]) {
      const res = await api(server, 'PATCH', `/api/clients/${id}`, { token: me.token, body: { name: 'mine now' } });
      expect(res.body).toEqual(FORBIDDEN);
    }
    expect((await api(server, 'GET', `/api/clients/${me.client.id}`, { token: admin.token })).body.data.name).toBe(me.client.name);
  });

  test('bad bodies → 422 listing every problem, nothing changed', async () => {
    const c = await createClient(server, { client_type: 'MIS', name: 'Stays' });
    const res = await api(server, 'PATCH', `/api/clients/${c.id}`, {
      token: admin.token, body: { name: '', is_blocked: 'yes', client_type: 'ADMIN', permissions: ['audit:read'] },
    });
    expect(res.status).toBe(422);
    expect(res.body.error.invalid.map((e: { entry: string }) => e.entry).sort()).toEqual(
      ['$.client_type', '$.is_blocked', '$.name', '$.permissions'],
    );
    const empty = await api(server, 'PATCH', `/api/clients/${c.id}`, { token: admin.token, body: {} });
    expect(empty.status).toBe(422);
    expect((await api(server, 'GET', `/api/clients/${c.id}`, { token: admin.token })).body).toEqual({ data: clientBody(c) });
  });

  test('unknown client → 404', async () => {
    const res = await api(server, 'PATCH', '/api/clients/9b0c9a1e-1111-4222-8333-444455556666', { token: admin.token, body: { name: 'x' } });
    expect(res.status).toBe(404);
    expect(res.body).toEqual(NOT_FOUND);
  });
});
