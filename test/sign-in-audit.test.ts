// CONTRACT §8 sign-in audit: user.sign_in, user.sign_in_failed and user.locked_out carry the email and the client
// address, never a password; POST /api/users/{id}/actions/unlock clears a lockout at once.
import { api, callerOfType, type ApiCaller } from './support/api.js';
import { PASSWORD, createClient, createUser, putConnection, type TestClient, type TestConnection } from './support/internal.js';
import { authorize, relyingParty } from './support/oauth.js';
import { startServer, type TestServer } from './support/server.js';

let server: TestServer;
let admin: ApiCaller;
let clinic: TestClient;
let conn: TestConnection;
const REDIRECT = 'https://mis.example/callback';
const WRONG = 'wrong-password-never-logged';

beforeAll(async () => {
  server = await startServer();
  admin = await callerOfType(server, 'ADMIN');
  clinic = await createClient(server, { name: 'Clinic', client_type: 'MSP' });
  const mis = await createClient(server, { name: 'MIS', client_type: 'MIS' });
  conn = await putConnection(server, clinic.id, { consumer_id: mis.id, redirect_uri: REDIRECT });
});

afterAll(() => server?.stop());

async function attempt(email: string, password: string): Promise<string> {
  const rp = await relyingParty(server.url, clinic.id, conn.secret);
  const result = await authorize(rp, server.url, { redirectUri: REDIRECT, scope: 'openid', email, password }).catch((e: Error) => e);
  if (result instanceof Error) return /unexpected (\d+)/.exec(result.message)?.[1] ?? result.message;
  return result.callbackUrl.searchParams.get('code') ? 'code' : 'no code';
}

async function events(action: string, email: string) {
  const res = await api(server, 'GET', `/api/audit_events?action=${action}&page_size=100`, { token: admin.token });
  return (res.body.data as Array<{ details: Record<string, unknown>; actor_id: string | null; target_id: string }>)
    .filter((e) => e.details.email === email);
}

test('a sign-in is audited with the email and the client address, and sets last_sign_in_at', async () => {
  const email = 'signs.in@clinic.example';
  const user = await createUser(server, { email, memberships: [{ client_id: clinic.id, scopes: [] }] });
  expect(await attempt(email, PASSWORD)).toBe('code');
  const [event] = await events('user.sign_in', email);
  expect(event).toMatchObject({ actor_id: user.id, target_id: user.id, details: { email, client_address: '127.0.0.1' } });
  expect((await api(server, 'GET', `/api/users/${user.id}`, { token: admin.token })).body.data.last_sign_in_at).not.toBeNull();
});

test('a wrong password and an unknown email are user.sign_in_failed, without the password', async () => {
  const email = 'mistypes@clinic.example';
  await createUser(server, { email, memberships: [{ client_id: clinic.id, scopes: [] }] });
  expect(await attempt(email, WRONG)).toBe('401');
  expect(await attempt('nobody@clinic.example', WRONG)).toBe('401');
  const failed = await events('user.sign_in_failed', email);
  expect(failed).toHaveLength(1);
  expect(failed[0].details).toMatchObject({ email, client_address: '127.0.0.1' });
  expect(await events('user.sign_in_failed', 'nobody@clinic.example')).toHaveLength(1);
  const all = await api(server, 'GET', '/api/audit_events?page_size=100', { token: admin.token });
  expect(all.text).not.toContain(WRONG);
});

test('the attempt past the limit is user.locked_out (once); unlock lets the right password in again', async () => {
  const email = 'locked@clinic.example';
  const user = await createUser(server, { email, memberships: [{ client_id: clinic.id, scopes: [] }] });
  for (let i = 0; i < 5; i++) expect(await attempt(email, WRONG)).toBe('401');
  expect(await attempt(email, PASSWORD)).toBe('429');
  expect(await attempt(email, PASSWORD)).toBe('429');
  const locked = await events('user.locked_out', email);
  expect(locked).toHaveLength(1);
  expect(locked[0].details).toMatchObject({ email, client_address: '127.0.0.1' });
  const unlock = await api(server, 'POST', `/api/users/${user.id}/actions/unlock`, { token: admin.token });
  expect(unlock.status).toBe(200);
  expect(await attempt(email, PASSWORD)).toBe('code');
  const audit = await api(server, 'GET', `/api/audit_events?target_id=${user.id}&action=user.unlock`, { token: admin.token });
  expect(audit.body.data).toHaveLength(1);
});
