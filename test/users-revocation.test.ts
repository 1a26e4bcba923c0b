// CONTRACT §3 "who may sign in" and §8: blocking or deleting a user, removing a membership, revoking a grant and
// resetting a password take effect at once, with a real OAuth client (openid-client) holding real tokens; narrowing a
// membership's scopes is live in /api and introspection.
import * as oidc from 'openid-client';
import { api, callerOfType, type ApiCaller } from './support/api.js';
import { createClient, createUser, putConnection, type TestClient, type TestConnection } from './support/internal.js';
import { Browser, authorize, introspect, relyingParty, signIn, tokenRequest } from './support/oauth.js';
import { startServer, type TestServer } from './support/server.js';

let server: TestServer;
let clinic: TestClient;
let conn: TestConnection;
let admin: ApiCaller;
let rp: oidc.Configuration;
const REDIRECT = 'https://mis.example/callback';
const SCOPES = ['client:read', 'connection:read'];

beforeAll(async () => {
  server = await startServer();
  clinic = await createClient(server, { name: 'Clinic', client_type: 'MSP' });
  const mis = await createClient(server, { name: 'MIS', client_type: 'MIS' });
  conn = await putConnection(server, clinic.id, { consumer_id: mis.id, redirect_uri: REDIRECT });
  admin = await callerOfType(server, 'ADMIN');
  rp = await relyingParty(server.url, clinic.id, conn.secret);
});

afterAll(() => server?.stop());

let n = 0;
async function signedInUser() {
  const email = `doctor${++n}@clinic.example`;
  const user = await createUser(server, { email, memberships: [{ client_id: clinic.id, scopes: SCOPES }] });
  const browser = new Browser();
  const { tokens } = await signIn(rp, server.url, {
    redirectUri: REDIRECT, scope: 'openid offline_access client:read connection:read', prompt: 'consent', email, browser,
  });
  return { id: user.id as string, email, browser, tokens };
}

const adminBasic = (): [string, string] => [admin.client.id, admin.self.secret];

async function expectDead(tokens: { access_token: string; refresh_token?: string }) {
  expect((await introspect(server.url, tokens.access_token, adminBasic())).body.active).toBe(false);
  expect((await api(server, 'GET', `/api/clients/${clinic.id}`, { token: tokens.access_token })).status).toBe(401);
  const refresh = await tokenRequest(server.url, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }, [clinic.id, conn.secret]);
  expect(refresh.status).toBe(400);
  expect(refresh.body.error).toBe('invalid_grant');
}

/** The same browser (its session cookie) asks for a new code: whatever happens, no code comes back. */
async function noNewCode(browser: Browser, email: string) {
  const again = await authorize(rp, server.url, { redirectUri: REDIRECT, scope: 'openid client:read', email, browser }).catch((e: Error) => e);
  if (again instanceof Error) {
    expect(again.message).toMatch(/unexpected 401|no login or consent form/);
  } else {
    expect(again.callbackUrl.searchParams.get('code')).toBeNull();
    expect(again.callbackUrl.searchParams.get('error')).toBe('access_denied');
  }
}

test('a signed-in user\'s token works at /api and refreshes before anything changes', async () => {
  const u = await signedInUser();
  expect((await api(server, 'GET', `/api/clients/${clinic.id}`, { token: u.tokens.access_token })).status).toBe(200);
  expect((await introspect(server.url, u.tokens.access_token, adminBasic())).body).toMatchObject({ active: true, scope: expect.stringContaining('client:read') });
  const user = await api(server, 'GET', `/api/users/${u.id}`, { token: admin.token });
  expect(user.body.data.last_sign_in_at).not.toBeNull();
  // The same browser gets a new code without signing in again (session and grant): what the tests below take away.
  const again = await authorize(rp, server.url, { redirectUri: REDIRECT, scope: 'openid client:read', email: u.email, browser: u.browser });
  expect(again.callbackUrl.searchParams.get('code')).toBeTruthy();
});

test('blocking a user revokes tokens and refresh at once; the browser gets no new code', async () => {
  const u = await signedInUser();
  expect((await api(server, 'PATCH', `/api/users/${u.id}`, { token: admin.token, body: { is_blocked: true, block_reason: 'gone' } })).status).toBe(200);
  await expectDead(u.tokens);
  await noNewCode(u.browser, u.email);
});

test('deleting a user revokes tokens and refresh at once; the browser gets no new code', async () => {
  const u = await signedInUser();
  expect((await api(server, 'DELETE', `/api/users/${u.id}`, { token: admin.token })).status).toBe(204);
  await expectDead(u.tokens);
  await noNewCode(u.browser, u.email);
});

test('removing the membership revokes what the user holds at the client; the existing session gets no new code', async () => {
  const u = await signedInUser();
  expect((await api(server, 'DELETE', `/api/users/${u.id}/memberships/${clinic.id}`, { token: admin.token })).status).toBe(204);
  await expectDead(u.tokens);
  await noNewCode(u.browser, u.email);
  const audit = await api(server, 'GET', `/api/audit_events?target_id=${u.id}&action=membership.delete`, { token: admin.token });
  expect(audit.body.data[0].details).toEqual({ client_id: clinic.id });
});

test('narrowing a membership is live in /api and introspection without revoking the token', async () => {
  const u = await signedInUser();
  const put = await api(server, 'PUT', `/api/users/${u.id}/memberships/${clinic.id}`, { token: admin.token, body: { scopes: ['connection:read'] } });
  expect(put.status).toBe(200);
  const facts = await introspect(server.url, u.tokens.access_token, adminBasic());
  expect(facts.body.active).toBe(true);
  expect(String(facts.body.scope).split(' ')).not.toContain('client:read');
  expect(String(facts.body.scope).split(' ')).toContain('connection:read');
  const denied = await api(server, 'GET', `/api/clients/${clinic.id}`, { token: u.tokens.access_token });
  expect(denied.status).toBe(403);
  expect(denied.body.error).toEqual({ type: 'forbidden', message: 'Invalid scopes' });
  expect((await api(server, 'GET', `/api/clients/${clinic.id}/connections`, { token: u.tokens.access_token })).status).toBe(200);
});

test('grants are listed with their scopes; revoking one kills its tokens and refresh', async () => {
  const u = await signedInUser();
  const grants = await api(server, 'GET', `/api/users/${u.id}/grants`, { token: admin.token });
  expect(grants.status).toBe(200);
  expect(grants.body.data).toHaveLength(1);
  expect(grants.body.data[0]).toMatchObject({ client_id: clinic.id, client_name: 'Clinic' });
  expect(grants.body.data[0].scopes).toEqual(expect.arrayContaining(['openid', 'offline_access', 'client:read', 'connection:read']));
  // Another client sees nothing of a user who is not its member.
  const own = await callerOfType(server, 'MSP', { permissions: ['user:read', 'user:write'] });
  expect((await api(server, 'GET', `/api/users/${u.id}/grants`, { token: own.token })).status).toBe(403);
  expect((await api(server, 'DELETE', `/api/users/${u.id}/grants/${clinic.id}`, { token: admin.token })).status).toBe(204);
  await expectDead(u.tokens);
  expect((await api(server, 'GET', `/api/users/${u.id}/grants`, { token: admin.token })).body.data).toEqual([]);
  const audit = await api(server, 'GET', `/api/audit_events?target_id=${u.id}&action=grant.revoke`, { token: admin.token });
  expect(audit.body.data).toHaveLength(1);
});

test('resetting the password ends the sessions and the old password fails at once', async () => {
  const u = await signedInUser();
  const reset = await api(server, 'POST', `/api/users/${u.id}/actions/reset_password`, { token: admin.token });
  expect(reset.status).toBe(200);
  // The session is gone: the browser is asked to sign in, and the old password no longer works.
  const again = await authorize(rp, server.url, { redirectUri: REDIRECT, scope: 'openid client:read', email: u.email, browser: u.browser }).catch((e: Error) => e);
  expect(again).toBeInstanceOf(Error);
  expect((again as Error).message).toMatch(/unexpected 401/);
  expect((await api(server, 'GET', `/api/users/${u.id}`, { token: admin.token })).body.data.has_password).toBe(false);
});

describe('on every instance, and against requests in flight', () => {
  let second: TestServer;
  beforeAll(async () => {
    second = await startServer({ databaseUrl: server.databaseUrl });
  });
  afterAll(() => second?.gatehouse.close());

  test('a block through one instance is seen at once by the other', async () => {
    const u = await signedInUser();
    const rp2 = await relyingParty(second.url, clinic.id, conn.secret);
    expect(rp2).toBeDefined();
    expect((await api(second, 'GET', `/api/clients/${clinic.id}`, { token: u.tokens.access_token })).status).toBe(200);
    expect((await api(server, 'PATCH', `/api/users/${u.id}`, { token: admin.token, body: { is_blocked: true } })).status).toBe(200);
    expect((await api(second, 'GET', `/api/clients/${clinic.id}`, { token: u.tokens.access_token })).status).toBe(401);
    const refresh = await tokenRequest(second.url, { grant_type: 'refresh_token', refresh_token: u.tokens.refresh_token! }, [clinic.id, conn.secret]);
    expect(refresh.body.error).toBe('invalid_grant');
  });

  test.each([
    ['a block', (id: string) => ({ method: 'PATCH', path: `/api/users/${id}`, body: { is_blocked: true } as unknown, status: 200 })],
    ['a deletion', (id: string) => ({ method: 'DELETE', path: `/api/users/${id}`, body: undefined, status: 204 })],
    ['a membership removal', (id: string) => ({ method: 'DELETE', path: `/api/users/${id}/memberships/${clinic.id}`, body: undefined, status: 204 })],
    ['a grant revocation', (id: string) => ({ method: 'DELETE', path: `/api/users/${id}/grants/${clinic.id}`, body: undefined, status: 204 })],
  ])('refreshes racing %s on two instances leave no live token behind', async (_name, change) => {
    const email = `racer${++n}@clinic.example`;
    const user = await createUser(server, { email, memberships: [{ client_id: clinic.id, scopes: SCOPES }] });
    const chains = [];
    for (let i = 0; i < 8; i++) {
      const { tokens } = await signIn(rp, server.url, {
        redirectUri: REDIRECT, scope: 'openid offline_access client:read', prompt: 'consent', email,
      });
      chains.push(tokens.refresh_token!);
    }
    const refreshes = chains.map((rt, i) => tokenRequest(i % 2 ? second.url : server.url, { grant_type: 'refresh_token', refresh_token: rt }, [clinic.id, conn.secret]));
    const c = change(user.id);
    const [changed, ...answers] = await Promise.all([api(server, c.method, c.path, { token: admin.token, body: c.body }), ...refreshes]);
    expect(changed.status).toBe(c.status);
    for (const a of answers) {
      expect([200, 400]).toContain(a.status);
      if (a.status !== 200) continue;
      // Issued before the change committed: revoked with the rest.
      expect((await introspect(server.url, String(a.body.access_token), adminBasic())).body.active).toBe(false);
      expect((await introspect(server.url, String(a.body.refresh_token), adminBasic())).body.active).toBe(false);
    }
  });
});
