// The bearer, scope and context checks of /api (CONTRACT §4), and their order.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { accessToken, api, callerOfType, type ApiCaller } from './support/api.js';
import { createClient } from './support/internal.js';
import { startServer, type TestServer } from './support/server.js';

const ACCESS_DENIED = { error: { type: 'access_denied', message: 'Access denied' } };
const INVALID_SCOPES = { error: { type: 'forbidden', message: 'Invalid scopes' } };
const FORBIDDEN = { error: { type: 'forbidden', message: 'forbidden' } };

let server: TestServer;
let admin: ApiCaller;
let msp: ApiCaller;

beforeAll(async () => {
  server = await startServer();
  admin = await callerOfType(server, 'ADMIN');
  msp = await callerOfType(server, 'MSP');
});
afterAll(() => server?.stop());

describe('bearer', () => {
  test.each([
    ['no Authorization header', undefined],
    ['an unknown token', 'Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'],
    ['another scheme', 'Basic dXNlcjpwYXNz'],
    ['an empty bearer', 'Bearer '],
    ['garbage', 'Bearer <script>'],
  ])('%s → 401 access_denied', async (_name, authorization) => {
    const res = await api(server, 'GET', '/api/clients', { headers: authorization ? { authorization } : {} });
    expect(res.status).toBe(401);
    expect(res.body).toEqual(ACCESS_DENIED);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  test('a revoked token (RFC 7009) → 401', async () => {
    const me = await callerOfType(server, 'MIS');
    expect((await api(server, 'GET', '/api/clients', { token: me.token })).status).toBe(200);
    const res = await fetch(`${server.url}/token/revocation`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: me.token, client_id: me.client.id, client_secret: me.self.secret }),
    });
    expect(res.status).toBe(200);
    expect((await api(server, 'GET', '/api/clients', { token: me.token })).body).toEqual(ACCESS_DENIED);
  });

  test('a token of a client that gets blocked → 401 at once', async () => {
    const me = await callerOfType(server, 'PHARMACY');
    const block = await api(server, 'PATCH', `/api/clients/${me.client.id}`, { token: admin.token, body: { is_blocked: true, block_reason: 'test' } });
    expect(block.status).toBe(200);
    const res = await api(server, 'GET', `/api/clients/${me.client.id}`, { token: me.token });
    expect(res.status).toBe(401);
    expect(res.body).toEqual(ACCESS_DENIED);
  });

  test('an expired token → 401', async () => {
    const short = await startServer({ env: { ACCESS_TOKEN_TTL: '1' } });
    try {
      const me = await callerOfType(short, 'ADMIN');
      expect((await api(short, 'GET', '/api/clients', { token: me.token })).status).toBe(200);
      await new Promise((r) => setTimeout(r, 2100));
      expect((await api(short, 'GET', '/api/clients', { token: me.token })).body).toEqual(ACCESS_DENIED);
    } finally {
      await short.stop();
    }
  });
});

describe('scopes', () => {
  test('a token without the route scope → 403 Invalid scopes', async () => {
    const narrow = await accessToken(server, admin.client.id, admin.self.secret, ['connection:read']);
    const res = await api(server, 'GET', '/api/clients', { token: narrow });
    expect(res.status).toBe(403);
    expect(res.body).toEqual(INVALID_SCOPES);
  });

  test('refresh_secret takes connection:refresh_secret or connection:delete', async () => {
    const target = await callerOfType(server, 'MSP');
    for (const scope of ['connection:refresh_secret', 'connection:delete']) {
      const token = await accessToken(server, target.client.id, target.self.secret, [scope]);
      const res = await api(server, 'PATCH', `/api/clients/${target.client.id}/connections/${target.self.id}/actions/refresh_secret`, { token });
      expect(res.status).toBe(200);
      target.self.secret = res.body.data.secret;
    }
    const token = await accessToken(server, target.client.id, target.self.secret, ['connection:read']);
    const res = await api(server, 'PATCH', `/api/clients/${target.client.id}/connections/${target.self.id}/actions/refresh_secret`, { token });
    expect(res.body).toEqual(INVALID_SCOPES);
  });

  test('a removed permission is gone at once from tokens already issued (CONTRACT §3)', async () => {
    const svc = await callerOfType(server, 'INTEGRATION', { permissions: ['client:read'] });
    expect((await api(server, 'GET', '/api/clients', { token: svc.token })).status).toBe(200);
    // The internal listener has no permission edit; the database row is what the services API changes.
    await server.gatehouse.db.pool.query("UPDATE clients SET permissions = '{}' WHERE id = $1", [svc.client.id]);
    const res = await api(server, 'GET', '/api/clients', { token: svc.token });
    expect(res.status).toBe(403);
    expect(res.body).toEqual(INVALID_SCOPES);
  });

  test('GET /api/permissions takes any valid token, even one without scopes', async () => {
    const svc = await callerOfType(server, 'INTEGRATION', { scopes: [] });
    const res = await api(server, 'GET', '/api/permissions', { token: svc.token });
    expect(res.status).toBe(200);
    expect((await api(server, 'GET', '/api/permissions')).body).toEqual(ACCESS_DENIED);
  });
});

describe('order of checks: 401 → 403 Invalid scopes → 422 path/query → 403 forbidden → 422 body', () => {
  test('no token beats everything', async () => {
    const res = await api(server, 'PATCH', '/api/clients/not%20an%20id/connections/nope', { body: { nope: 1 } });
    expect(res.body).toEqual(ACCESS_DENIED);
  });

  test('missing scope beats a malformed path', async () => {
    const token = await accessToken(server, msp.client.id, msp.self.secret, ['client:read']);
    const res = await api(server, 'PATCH', '/api/clients/NOT!/connections/nope', { token, body: { nope: 1 } });
    expect(res.body).toEqual(INVALID_SCOPES);
  });

  test('a malformed path beats the context check', async () => {
    const res = await api(server, 'GET', '/api/clients/NOT!/connections', { token: msp.token });
    expect(res.status).toBe(422);
    expect(res.body.error.invalid[0]).toMatchObject({ entry: '$.id', entry_type: 'path_parameter' });
  });

  test('an unknown query parameter beats the context check', async () => {
    const res = await api(server, 'GET', `/api/clients/${admin.client.id}/connections?bogus=1`, { token: msp.token });
    expect(res.status).toBe(422);
    expect(res.body.error.invalid[0]).toMatchObject({ entry: '$.bogus', entry_type: 'query_parameter' });
  });

  test('the context check beats a bad body', async () => {
    const res = await api(server, 'PATCH', `/api/clients/${admin.client.id}/connections/${admin.self.id}`, {
      token: msp.token, body: { redirect_uri: 'ftp://x', bogus: true },
    });
    expect(res.status).toBe(403);
    expect(res.body).toEqual(FORBIDDEN);
  });

  test('a non-ADMIN unknown client id is 403, not 404 (the context rule does not reveal existence)', async () => {
    const res = await api(server, 'GET', '/api/clients/00000000-0000-4000-8000-000000000000', { token: msp.token });
    expect(res.body).toEqual(FORBIDDEN);
  });

  test('an ADMIN-only route answers 403 forbidden to a client that holds the scope', async () => {
    const pharmacy = await createClient(server, { client_type: 'PHARMACY', permissions: ['client:write'] });
    const me = await callerOfType(server, 'MIS', { permissions: ['client:write'] });
    const res = await api(server, 'PATCH', `/api/clients/${me.client.id}`, { token: me.token, body: { name: 'x' } });
    expect(res.body).toEqual(FORBIDDEN);
    expect((await api(server, 'PATCH', `/api/clients/${pharmacy.id}`, { token: me.token, body: { name: 'x' } })).body).toEqual(FORBIDDEN);
  });
});
