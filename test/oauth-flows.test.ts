// CONTRACT §3: the authorization-code flow with PKCE through each connection of one client, refresh,
// userinfo, scope narrowing and membership, driven by openid-client as the relying party.
import * as oidc from 'openid-client';
import { startServer, type TestServer } from './support/server.js';
import { createClient, createUser, putConnection, type TestClient, type TestConnection } from './support/internal.js';
import { authorize, introspect, relyingParty, signIn, tokenRequest } from './support/oauth.js';

let server: TestServer;
let clinic: TestClient;
let connA: TestConnection;
let connB: TestConnection;
let admin: { id: string; secret: string };
const A_URI = 'https://mis-a.example/callback';
const B_URI = 'https://mis-b.example/oauth/cb';

beforeAll(async () => {
  server = await startServer();
  clinic = await createClient(server, { name: 'Clinic', client_type: 'MSP' });
  const misA = await createClient(server, { name: 'MIS A', client_type: 'MIS' });
  const misB = await createClient(server, { name: 'MIS B', client_type: 'MIS' });
  connA = await putConnection(server, clinic.id, { consumer_id: misA.id, redirect_uri: A_URI });
  connB = await putConnection(server, clinic.id, { consumer_id: misB.id, redirect_uri: B_URI });
  await createUser(server, { email: 'doctor@clinic.example', name: 'Dr Who', memberships: [{ client_id: clinic.id, scopes: ['connection:read', 'client:read'] }] });
  await createUser(server, { email: 'stranger@elsewhere.example', memberships: [] });
  const adm = await createClient(server, { name: 'Admin', client_type: 'ADMIN' });
  admin = { id: adm.id, secret: (await putConnection(server, adm.id, { consumer_id: adm.id })).secret };
});

afterAll(() => server?.stop());

describe.each([
  ['connection A, client_secret_basic', () => connA, A_URI, 'basic' as const],
  ['connection B, client_secret_post', () => connB, B_URI, 'post' as const],
])('code flow through %s', (_name, conn, redirectUri, method) => {
  test('PKCE login and consent, then tokens, userinfo and a rotating refresh', async () => {
    const rp = await relyingParty(server.url, clinic.id, conn().secret, method);
    const { tokens } = await signIn(rp, server.url, {
      redirectUri, scope: 'openid profile email offline_access connection:read client:write', prompt: 'consent', email: 'doctor@clinic.example',
    });
    // client:write is neither a permission of an MSP client nor in the membership: silently left out.
    expect(tokens.scope!.split(' ').sort()).toEqual(['connection:read', 'email', 'offline_access', 'openid', 'profile']);
    expect(tokens.refresh_token).toEqual(expect.any(String));
    const claims = tokens.claims()!;
    expect(claims.aud).toBe(clinic.id);

    const info = await oidc.fetchUserInfo(rp, tokens.access_token, claims.sub);
    expect(info).toMatchObject({ sub: claims.sub, email: 'doctor@clinic.example', name: 'Dr Who' });

    const seen = await introspect(server.url, tokens.access_token, [admin.id, admin.secret]);
    expect(seen.body).toMatchObject({ active: true, client_id: clinic.id, client_type: 'MSP', consumer_id: conn().consumer_id });

    const refreshed = await oidc.refreshTokenGrant(rp, tokens.refresh_token!);
    expect(refreshed.access_token).not.toBe(tokens.access_token);
    expect(refreshed.refresh_token).not.toBe(tokens.refresh_token);
    // Rotation: the used refresh token is spent.
    const again = await tokenRequest(server.url, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }, [clinic.id, conn().secret]);
    expect(again).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  });
});

test('without offline_access there is no refresh token', async () => {
  const rp = await relyingParty(server.url, clinic.id, connA.secret);
  const { tokens } = await signIn(rp, server.url, { redirectUri: A_URI, scope: 'openid', email: 'doctor@clinic.example' });
  expect(tokens.refresh_token).toBeUndefined();
  expect(tokens.scope).toBe('openid');
});

test('a user who is not a member is sent back with access_denied (RFC 6749 §4.1.2.1)', async () => {
  const rp = await relyingParty(server.url, clinic.id, connA.secret);
  const { callbackUrl, state } = await authorize(rp, server.url, { redirectUri: A_URI, scope: 'openid', email: 'stranger@elsewhere.example' });
  expect(callbackUrl.origin + callbackUrl.pathname).toBe(A_URI);
  expect(callbackUrl.searchParams.get('error')).toBe('access_denied');
  expect(callbackUrl.searchParams.get('state')).toBe(state);
  expect(callbackUrl.searchParams.get('code')).toBeNull();
});

test('a wrong password shows the login page again with an error and no redirect', async () => {
  const rp = await relyingParty(server.url, clinic.id, connA.secret);
  await expect(authorize(rp, server.url, { redirectUri: A_URI, scope: 'openid', email: 'doctor@clinic.example', password: 'wrong password!' }))
    .rejects.toThrow(/unexpected 401/);
});

test('prompt=login asks for the password again, then consent, and completes', async () => {
  const rp = await relyingParty(server.url, clinic.id, connA.secret);
  const first = await signIn(rp, server.url, { redirectUri: A_URI, scope: 'openid', email: 'doctor@clinic.example' });
  const again = await signIn(rp, server.url, { redirectUri: A_URI, scope: 'openid profile', prompt: 'login consent', email: 'doctor@clinic.example', browser: first.browser });
  expect(again.tokens.claims()!.sub).toBe(first.tokens.claims()!.sub);
  expect(again.tokens.scope).toBe('openid profile');
});

test('after 5 wrong passwords the login is refused for a while (429), even with the right password', async () => {
  await createUser(server, { email: 'target@clinic.example', memberships: [{ client_id: clinic.id, scopes: [] }] });
  const rp = await relyingParty(server.url, clinic.id, connA.secret);
  for (let i = 0; i < 5; i++) {
    await expect(authorize(rp, server.url, { redirectUri: A_URI, scope: 'openid', email: 'target@clinic.example', password: `guess number ${i}` }))
      .rejects.toThrow(/unexpected 401/);
  }
  await expect(authorize(rp, server.url, { redirectUri: A_URI, scope: 'openid', email: 'target@clinic.example' }))
    .rejects.toThrow(/unexpected 429 .*(Too many failed sign-ins|Забагато невдалих спроб входу)/s);
  // Another account from the same address is not locked out by it.
  const other = await signIn(rp, server.url, { redirectUri: A_URI, scope: 'openid', email: 'doctor@clinic.example' });
  expect(other.tokens.access_token).toEqual(expect.any(String));
});

test('a second authorization in the same browser session needs no new login', async () => {
  const rp = await relyingParty(server.url, clinic.id, connA.secret);
  const first = await signIn(rp, server.url, { redirectUri: A_URI, scope: 'openid', email: 'doctor@clinic.example' });
  const second = await signIn(rp, server.url, { redirectUri: A_URI, scope: 'openid', email: 'nobody', browser: first.browser });
  expect(second.tokens.claims()!.sub).toBe(first.tokens.claims()!.sub);
});

test('the authorization endpoint is GET only: a POST is 404 (README: it would need a SameSite=None session cookie)', async () => {
  const res = await fetch(`${server.url}/auth`, {
    method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: clinic.id, redirect_uri: A_URI, response_type: 'code', scope: 'openid' }).toString(),
  });
  expect(res.status).toBe(404);
});
