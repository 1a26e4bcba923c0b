// CONTRACT §3: one consumer cannot use another consumer's connection — not its redirect URI, its codes or its
// refresh tokens; replays and rotations revoke; the authorization endpoint never redirects to an unregistered URI.
import * as oidc from 'openid-client';
import { SYSTEM_ACTOR } from '../src/domain/audit.js';
import { updateClient } from '../src/domain/clients.js';
import { startServer, type TestServer } from './support/server.js';
import { createClient, createUser, putConnection, type TestClient, type TestConnection } from './support/internal.js';
import { authorize, Browser, introspect, relyingParty, signIn, tokenRequest } from './support/oauth.js';

let server: TestServer;
let clinic: TestClient;
let connA: TestConnection;
let connB: TestConnection;
let admin: [string, string];
const A_URI = 'https://mis-a.example/callback';
const B_URI = 'https://mis-b.example/callback';
const EMAIL = 'nurse@clinic.example';

beforeAll(async () => {
  server = await startServer();
  clinic = await createClient(server, { name: 'Clinic', client_type: 'PHARMACY' });
  const misA = await createClient(server, { name: 'MIS A', client_type: 'MIS' });
  const misB = await createClient(server, { name: 'MIS B', client_type: 'MIS' });
  connA = await putConnection(server, clinic.id, { consumer_id: misA.id, redirect_uri: A_URI });
  connB = await putConnection(server, clinic.id, { consumer_id: misB.id, redirect_uri: B_URI });
  await createUser(server, { email: EMAIL, memberships: [{ client_id: clinic.id, scopes: [] }] });
  const adm = await createClient(server, { name: 'Admin', client_type: 'ADMIN' });
  admin = [adm.id, (await putConnection(server, adm.id, { consumer_id: adm.id })).secret];
});

afterAll(() => server?.stop());

async function codeFor(conn: TestConnection, redirectUri: string, scope = 'openid') {
  const rp = await relyingParty(server.url, clinic.id, conn.secret);
  const a = await authorize(rp, server.url, { redirectUri, scope, prompt: scope.includes('offline_access') ? 'consent' : undefined, email: EMAIL });
  return { rp, code: a.callbackUrl.searchParams.get('code')!, verifier: a.verifier, state: a.state, callbackUrl: a.callbackUrl };
}

function exchange(secret: string, code: string, verifier: string, redirectUri: string) {
  return tokenRequest(server.url, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: redirectUri }, [clinic.id, secret]);
}

describe('cross-connection attacks', () => {
  test("B's secret with A's redirect URI is invalid_client, and A's code still works for A", async () => {
    const a = await codeFor(connA, A_URI);
    const stolen = await exchange(connB.secret, a.code, a.verifier, A_URI);
    expect(stolen).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    const own = await exchange(connA.secret, a.code, a.verifier, A_URI);
    expect(own.status).toBe(200);
    expect(own.body.access_token).toEqual(expect.any(String));
  });

  test("B cannot redeem A's code with its own redirect URI, and A still can", async () => {
    const a = await codeFor(connA, A_URI);
    const stolen = await exchange(connB.secret, a.code, a.verifier, B_URI);
    expect(stolen).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    expect((await exchange(connA.secret, a.code, a.verifier, A_URI)).status).toBe(200);
  });

  test("B refreshing A's refresh token is invalid_grant, and A still can refresh", async () => {
    const a = await codeFor(connA, A_URI, 'openid offline_access');
    const tokens = await exchange(connA.secret, a.code, a.verifier, A_URI);
    const rt = tokens.body.refresh_token as string;
    expect(rt).toEqual(expect.any(String));
    const stolen = await tokenRequest(server.url, { grant_type: 'refresh_token', refresh_token: rt }, [clinic.id, connB.secret]);
    expect(stolen).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
    const own = await tokenRequest(server.url, { grant_type: 'refresh_token', refresh_token: rt }, [clinic.id, connA.secret]);
    expect(own.status).toBe(200);
  });

  test("B cannot revoke A's token", async () => {
    const a = await codeFor(connA, A_URI);
    const tokens = await exchange(connA.secret, a.code, a.verifier, A_URI);
    const at = tokens.body.access_token as string;
    const res = await fetch(`${server.url}/token/revocation`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ token: at, client_id: clinic.id, client_secret: connB.secret }).toString(),
    });
    expect(res.status).toBe(200); // RFC 7009 §2.2: the answer does not say whether anything was revoked
    expect((await introspect(server.url, at, admin)).body.active).toBe(true);
  });
});

test('a replayed code is invalid_grant and revokes the tokens it produced', async () => {
  const a = await codeFor(connA, A_URI, 'openid offline_access');
  const first = await exchange(connA.secret, a.code, a.verifier, A_URI);
  expect(first.status).toBe(200);
  expect((await introspect(server.url, first.body.access_token as string, admin)).body.active).toBe(true);
  const replay = await exchange(connA.secret, a.code, a.verifier, A_URI);
  expect(replay).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  expect((await introspect(server.url, first.body.access_token as string, admin)).body).toEqual({ active: false });
  expect((await introspect(server.url, first.body.refresh_token as string, admin)).body).toEqual({ active: false });
});

test('concurrent exchanges of one code: exactly one succeeds', async () => {
  for (let round = 0; round < 5; round++) {
    const a = await codeFor(connA, A_URI);
    const results = await Promise.all([0, 1, 2, 3].map(() => exchange(connA.secret, a.code, a.verifier, A_URI)));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status !== 200).every((r) => r.body.error === 'invalid_grant')).toBe(true);
  }
});

test('concurrent refreshes of one refresh token: exactly one succeeds', async () => {
  for (let round = 0; round < 5; round++) {
    const a = await codeFor(connA, A_URI, 'openid offline_access');
    const rt = (await exchange(connA.secret, a.code, a.verifier, A_URI)).body.refresh_token as string;
    const results = await Promise.all([0, 1, 2, 3].map(() => tokenRequest(server.url, { grant_type: 'refresh_token', refresh_token: rt }, [clinic.id, connA.secret])));
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status !== 200).every((r) => r.body.error === 'invalid_grant')).toBe(true);
    // Sequentially, the consumed refresh token is refused too.
    expect(await tokenRequest(server.url, { grant_type: 'refresh_token', refresh_token: rt }, [clinic.id, connA.secret])).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  }
});

test('a wrong PKCE verifier is invalid_grant', async () => {
  const a = await codeFor(connA, A_URI);
  const wrong = await exchange(connA.secret, a.code, oidc.randomPKCECodeVerifier(), A_URI);
  expect(wrong).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
});

test('a rotated secret fails at once, the new one works, and earlier tokens are revoked', async () => {
  const consumer = await createClient(server, { name: 'MIS C', client_type: 'MIS' });
  const uri = 'https://mis-c.example/cb';
  const old = await putConnection(server, clinic.id, { consumer_id: consumer.id, redirect_uri: uri });
  const rp = await relyingParty(server.url, clinic.id, old.secret);
  const { tokens } = await signIn(rp, server.url, { redirectUri: uri, scope: 'openid', email: EMAIL });
  const rotated = await putConnection(server, clinic.id, { consumer_id: consumer.id });
  expect(rotated.id).toBe(old.id);
  expect(rotated.redirect_uri).toBe(uri);
  expect(rotated.secret).not.toBe(old.secret);
  expect((await introspect(server.url, tokens.access_token, admin)).body).toEqual({ active: false });
  const a = await authorize(await relyingParty(server.url, clinic.id, rotated.secret), server.url, { redirectUri: uri, scope: 'openid', email: EMAIL });
  const code = a.callbackUrl.searchParams.get('code')!;
  expect(await exchange(old.secret, code, a.verifier, uri)).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
  expect((await exchange(rotated.secret, code, a.verifier, uri)).status).toBe(200);
});

describe('the authorization endpoint never redirects to an unregistered URI', () => {
  async function authRequest(params: Record<string, string>) {
    const query = new URLSearchParams({
      client_id: clinic.id, response_type: 'code', scope: 'openid', state: 'xyz',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256', ...params,
    });
    for (const [k, v] of Object.entries(params)) if (v === '') query.delete(k);
    return new Browser().get(`${server.url}/auth?${query}`);
  }

  test.each([
    ['an unregistered URI', 'https://evil.example/callback'],
    ['an extra path segment', `${A_URI}/more`],
    ['an extra query', `${A_URI}?x=1`],
    ['the registered URI embedded in another URL', `https://evil.example/?next=${encodeURIComponent(A_URI)}`],
    ['a trailing slash', `${A_URI}/`],
    ['a different case', A_URI.toUpperCase()],
    ["another client's connection URI", 'https://elsewhere.example/cb'],
  ])('%s gets an error page (400)', async (_name, redirectUri) => {
    const res = await authRequest({ redirect_uri: redirectUri });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(res.headers.get('content-type')).toMatch(/text\/html/);
    expect(await res.text()).toContain('redirect_uri');
  });

  test('a missing redirect_uri gets an error page', async () => {
    const res = await authRequest({ redirect_uri: '' });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
  });

  test('an unknown client gets an error page', async () => {
    const res = await authRequest({ client_id: 'no-such-client', redirect_uri: A_URI });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    expect(await res.text()).toContain('invalid_client');
  });

  test.each([
    ['missing PKCE', { code_challenge: '', code_challenge_method: '' }],
    ['plain PKCE', { code_challenge_method: 'plain', code_challenge: 'a'.repeat(43) }],
    ['a response type other than code', { response_type: 'token' }],
  ])('%s is reported to the registered redirect URI only', async (_name, params) => {
    const res = await authRequest({ redirect_uri: A_URI, ...params });
    expect(res.status).toBe(303);
    const location = new URL(res.headers.get('location')!);
    expect(location.origin + location.pathname).toBe(A_URI);
    // response_type=token implies the fragment response mode, so the error may sit in the fragment.
    const answer = new URLSearchParams(location.search || location.hash.slice(1));
    expect(answer.get('error')).toMatch(/invalid_request|unsupported_response_type/);
    expect(answer.get('code')).toBeNull();
  });

  test('a blocked client gets an error page, and its secrets stop working', async () => {
    const blocked = await createClient(server, { name: 'Blocked', client_type: 'MSP' });
    const self = await putConnection(server, blocked.id, { consumer_id: blocked.id, redirect_uri: 'https://blocked.example/cb' });
    const before = await tokenRequest(server.url, { grant_type: 'client_credentials', scope: 'client:read' }, [blocked.id, self.secret]);
    expect(before.status).toBe(200);
    await updateClient(server.gatehouse.db.dataSource.manager, SYSTEM_ACTOR, blocked.id, { is_blocked: true, block_reason: 'test' });
    const res = await authRequest({ client_id: blocked.id, redirect_uri: 'https://blocked.example/cb' });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    const after = await tokenRequest(server.url, { grant_type: 'client_credentials' }, [blocked.id, self.secret]);
    expect(after).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    expect((await introspect(server.url, before.body.access_token as string, admin)).body).toEqual({ active: false });
  });
});

describe('malformed token requests get an OAuth error, never a 500', () => {
  async function post(body: string, contentType: string) {
    const res = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { 'content-type': contentType, authorization: `Basic ${Buffer.from(`${clinic.id}:${connA.secret}`).toString('base64')}` },
      body,
    });
    return { status: res.status, body: await res.text() };
  }

  test.each([
    ['JSON instead of a form', '{"grant_type":"client_credentials"}', 'application/json'],
    ['no grant_type', 'scope=openid', 'application/x-www-form-urlencoded'],
    ['an unknown grant_type', 'grant_type=password&username=a&password=b', 'application/x-www-form-urlencoded'],
    ['a repeated parameter', 'grant_type=client_credentials&grant_type=client_credentials', 'application/x-www-form-urlencoded'],
    ['an oversized body', `grant_type=client_credentials&scope=${'a'.repeat(200_000)}`, 'application/x-www-form-urlencoded'],
    ['a scope with invalid characters', 'grant_type=client_credentials&scope=%22%5C', 'application/x-www-form-urlencoded'],
  ])('%s', async (_name, body, type) => {
    const res = await post(body, type);
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(JSON.parse(res.body).error).toEqual(expect.any(String));
  });

  test('a Basic header that is not base64 is invalid_request', async () => {
    const res = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Basic %%%' },
      body: 'grant_type=client_credentials',
    });
    expect(res.status).toBe(400);
    expect((await res.json()).error).toBe('invalid_request');
  });
});
