// CONTRACT §3: client_credentials within the client's permissions, the introspection policy and answer,
// revocation, and discovery.
import { startServer, type TestServer } from './support/server.js';
import { createClient, putConnection } from './support/internal.js';
import { clientCredentials, introspect } from './support/oauth.js';

let server: TestServer;
let admin: [string, string];
let pharmacy: [string, string];
let reader: [string, string];

beforeAll(async () => {
  server = await startServer();
  const adm = await createClient(server, { name: 'Admin', client_type: 'ADMIN' });
  admin = [adm.id, (await putConnection(server, adm.id, { consumer_id: adm.id })).secret];
  const ph = await createClient(server, { name: 'Pharmacy', client_type: 'PHARMACY' });
  pharmacy = [ph.id, (await putConnection(server, ph.id, { consumer_id: ph.id })).secret];
  await createClient(server, { id: 'rs_introspector', name: 'Resource server', client_type: 'INTEGRATION', permissions: ['token:introspect'] });
  reader = ['rs_introspector', (await putConnection(server, 'rs_introspector', { consumer_id: 'rs_introspector' })).secret];
});

afterAll(() => server?.stop());

test('discovery names every endpoint and supports only S256 and the code response type', async () => {
  const doc = await (await fetch(`${server.url}/.well-known/openid-configuration`)).json();
  for (const key of ['authorization_endpoint', 'token_endpoint', 'userinfo_endpoint', 'jwks_uri', 'introspection_endpoint', 'revocation_endpoint', 'end_session_endpoint']) {
    expect(doc[key]).toMatch(new RegExp(`^${server.url}/`));
  }
  expect(doc.issuer).toBe(server.url);
  expect(doc.code_challenge_methods_supported).toEqual(['S256']);
  expect(doc.response_types_supported).toEqual(['code']);
  expect(doc.grant_types_supported.sort()).toEqual(['authorization_code', 'client_credentials', 'refresh_token']);
  expect(doc.token_endpoint_auth_methods_supported.sort()).toEqual(['client_secret_basic', 'client_secret_post']);
  const jwks = await (await fetch(doc.jwks_uri)).json();
  expect(jwks.keys[0]).toMatchObject({ kty: 'RSA', use: 'sig' });
  expect(jwks.keys[0].d).toBeUndefined();
});

describe('client_credentials', () => {
  test('scopes within the permissions are granted', async () => {
    const res = await clientCredentials(server.url, ...pharmacy, 'client:read connection:read');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ token_type: 'Bearer', expires_in: 3600, scope: 'client:read connection:read' });
  });

  test('a scope outside the permissions is invalid_scope', async () => {
    const res = await clientCredentials(server.url, ...pharmacy, 'client:read client:write');
    expect(res).toMatchObject({ status: 400, body: { error: 'invalid_scope' } });
  });

  test('a permission added to the catalog later is still refused when the client lacks it', async () => {
    const res = await clientCredentials(server.url, ...pharmacy, 'prescription:read');
    expect(res).toMatchObject({ status: 400, body: { error: 'invalid_scope' } });
  });

  test('a scope that is no permission at all is invalid_scope too', async () => {
    const res = await clientCredentials(server.url, ...pharmacy, 'client:read anything');
    expect(res).toMatchObject({ status: 400, body: { error: 'invalid_scope' } });
  });

  test('a permission the catalog gained at run time is granted once the client holds it', async () => {
    await server.gatehouse.db.dataSource.query(`INSERT INTO permissions (name, description) VALUES ('prescription:read', 'Read prescriptions')`);
    const svc = await createClient(server, { id: 'rx_reader', name: 'Rx', client_type: 'INTEGRATION', permissions: ['prescription:read'] });
    const secret = (await putConnection(server, svc.id, { consumer_id: svc.id })).secret;
    const res = await clientCredentials(server.url, svc.id, secret, 'prescription:read');
    expect(res).toMatchObject({ status: 200, body: { scope: 'prescription:read' } });
  });

  test('a wrong secret, an unknown client and a secret of another client are invalid_client', async () => {
    expect(await clientCredentials(server.url, pharmacy[0], 'x'.repeat(43))).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    expect(await clientCredentials(server.url, 'nobody', pharmacy[1])).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    expect(await clientCredentials(server.url, pharmacy[0], admin[1])).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
  });

  test('a connection to another consumer cannot use client_credentials', async () => {
    const mis = await createClient(server, { name: 'MIS', client_type: 'MIS' });
    const conn = await putConnection(server, pharmacy[0], { consumer_id: mis.id, redirect_uri: 'https://mis.example/cb' });
    const res = await clientCredentials(server.url, pharmacy[0], conn.secret, 'client:read');
    // oidc-provider's answer to a grant type the client may not use.
    expect(res).toMatchObject({ status: 400, body: { error: 'invalid_request', error_description: 'requested grant type is not allowed for this client' } });
  });
});

// client_credentials remembers the connection it authenticated (by client id and HMAC) to skip a round trip;
// the statement that stores the token re-checks secret, block and permissions. Changes are made here straight
// in the database, as another instance would, so this instance is told nothing.
describe('a remembered client_credentials credential never outlives a change made elsewhere', () => {
  let svc: [string, string];
  const sql = (text: string, values: unknown[]) => server.gatehouse.db.dataSource.query(text, values);
  const storedTokens = async () => Number((await sql(`SELECT count(*) AS n FROM oidc_payloads WHERE model = 'ClientCredentials' AND client_id = $1`, [svc[0]]))[0].n);

  beforeAll(async () => {
    const c = await createClient(server, { id: 'remembered_svc', name: 'Remembered', client_type: 'INTEGRATION', permissions: ['client:read', 'connection:read'] });
    svc = [c.id, (await putConnection(server, c.id, { consumer_id: c.id })).secret];
    expect((await clientCredentials(server.url, ...svc, 'client:read connection:read')).status).toBe(200);
  });

  test('a removed permission is invalid_scope at once, an added one is granted at once', async () => {
    await sql(`UPDATE clients SET permissions = '{client:read}' WHERE id = $1`, [svc[0]]);
    const stored = await storedTokens();
    expect(await clientCredentials(server.url, ...svc, 'connection:read')).toMatchObject({ status: 400, body: { error: 'invalid_scope' } });
    expect(await storedTokens()).toBe(stored);
    expect(await clientCredentials(server.url, ...svc, 'client:read')).toMatchObject({ status: 200, body: { scope: 'client:read' } });
    await sql(`UPDATE clients SET permissions = '{client:read,connection:read}' WHERE id = $1`, [svc[0]]);
    expect(await clientCredentials(server.url, ...svc, 'connection:read')).toMatchObject({ status: 200, body: { scope: 'connection:read' } });
  });

  test('a secret changed elsewhere fails at once and stores no token; the new one works', async () => {
    const next = server.gatehouse.secrets.generate();
    await sql('UPDATE connections SET secret_hash = $2 WHERE client_id = $1', [svc[0], next.hash]);
    const stored = await storedTokens();
    expect(await clientCredentials(server.url, ...svc, 'client:read')).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    expect(await storedTokens()).toBe(stored);
    expect((await clientCredentials(server.url, svc[0], next.secret, 'client:read')).status).toBe(200);
    svc = [svc[0], next.secret];
  });

  test('a client blocked elsewhere fails at once', async () => {
    await sql('UPDATE clients SET is_blocked = true WHERE id = $1', [svc[0]]);
    expect(await clientCredentials(server.url, ...svc, 'client:read')).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    await sql('UPDATE clients SET is_blocked = false WHERE id = $1', [svc[0]]);
    expect((await clientCredentials(server.url, ...svc, 'client:read')).status).toBe(200);
  });
});

describe('introspection (RFC 7662)', () => {
  test('an ADMIN client sees the token with client_type and consumer_id', async () => {
    const token = (await clientCredentials(server.url, ...pharmacy, 'client:read')).body.access_token as string;
    const res = await introspect(server.url, token, admin);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      active: true, client_id: pharmacy[0], client_type: 'PHARMACY', consumer_id: pharmacy[0], scope: 'client:read', token_type: 'Bearer',
    });
  });

  test('a holder of token:introspect may introspect', async () => {
    const token = (await clientCredentials(server.url, ...pharmacy, 'client:read')).body.access_token as string;
    expect((await introspect(server.url, token, reader)).body).toMatchObject({ active: true, client_id: pharmacy[0] });
  });

  test('any other client gets 403, and a wrong secret 401', async () => {
    const token = (await clientCredentials(server.url, ...pharmacy, 'client:read')).body.access_token as string;
    const res = await introspect(server.url, token, pharmacy);
    expect(res.status).toBe(403);
    expect(res.body.error).toBe('insufficient_scope');
    expect(res.body.active).toBeUndefined();
    expect((await introspect(server.url, token, [admin[0], 'wrong'])).status).toBe(401);
  });

  test('an unknown token is inactive', async () => {
    expect((await introspect(server.url, 'no-such-token', admin)).body).toEqual({ active: false });
  });

  test('permissions are live: a removed permission leaves the token at once', async () => {
    const svc = await createClient(server, { id: 'live_perm_svc', name: 'Live', client_type: 'INTEGRATION', permissions: ['client:read', 'audit:read'] });
    const secret = (await putConnection(server, svc.id, { consumer_id: svc.id })).secret;
    const token = (await clientCredentials(server.url, svc.id, secret, 'client:read audit:read')).body.access_token as string;
    await server.gatehouse.db.dataSource.query(`UPDATE clients SET permissions = '{client:read}' WHERE id = $1`, [svc.id]);
    expect((await introspect(server.url, token, admin)).body).toMatchObject({ active: true, scope: 'client:read' });
  });
});

test('revocation (RFC 7009) makes a token inactive', async () => {
  const token = (await clientCredentials(server.url, ...pharmacy, 'client:read')).body.access_token as string;
  const res = await fetch(`${server.url}/token/revocation`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(pharmacy.join(':')).toString('base64')}` },
    body: new URLSearchParams({ token }).toString(),
  });
  expect(res.status).toBe(200);
  expect((await introspect(server.url, token, admin)).body).toEqual({ active: false });
});

test('health: live and ready', async () => {
  expect((await fetch(`${server.url}/health/live`)).status).toBe(200);
  const ready = await fetch(`${server.url}/health/ready`);
  expect(ready.status).toBe(200);
  expect(await ready.json()).toEqual({ status: 'ok' });
});

test('/internal is never served on the public port', async () => {
  const res = await fetch(`${server.url}/internal/clients`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
  expect(res.status).toBe(404);
});
