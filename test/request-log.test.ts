// CONTRACT §10 "Logs": every request line carries the request id, the client address (after TRUST_PROXY), the route
// template, the status, the time taken and, when known, the client id and user id; and no line anywhere in a whole
// flow (secrets, passwords, codes, tokens, cookies) carries a secret.
import { Writable } from 'node:stream';
import * as oidc from 'openid-client';
import { createLogger } from '../src/log.js';
import { api, callerOfType } from './support/api.js';
import { PASSWORD, createClient, createUser, putConnection } from './support/internal.js';
import { Browser, authorize, introspect, relyingParty, tokenRequest } from './support/oauth.js';
import { startServer, type TestServer } from './support/server.js';

let server: TestServer;
const lines: Array<Record<string, unknown>> = [];
let raw = '';

beforeAll(async () => {
  const sink = new Writable({
    write(chunk, _enc, done) {
      raw += chunk.toString();
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line));
      done();
    },
  });
  server = await startServer({ env: { TRUST_PROXY: '1', LOG_LEVEL: 'info' }, log: createLogger('info', sink) });
});
afterAll(() => server?.stop());

test('a whole flow: every request line has its fields, and no line has a secret', async () => {
  const secrets: string[] = [PASSWORD];
  const admin = await callerOfType(server, 'ADMIN');
  secrets.push(admin.self.secret, admin.token);
  const clinic = await createClient(server, { name: 'Clinic', client_type: 'MSP' });
  const mis = await createClient(server, { name: 'MIS', client_type: 'MIS' });
  const redirectUri = 'https://mis.example/cb';
  const conn = await putConnection(server, clinic.id, { consumer_id: mis.id, redirect_uri: redirectUri });
  secrets.push(conn.secret);
  const user = await createUser(server, { email: 'logged@clinic.example', memberships: [{ client_id: clinic.id, scopes: ['client:read'] }] });

  // An API call through one proxy hop: the address is the one X-Forwarded-For names.
  const listed = await api(server, 'GET', `/api/clients/${clinic.id}`, { token: admin.token, headers: { 'x-forwarded-for': '203.0.113.7', 'x-request-id': 'req-api-1' } });
  expect(listed.status).toBe(200);
  // A token in a query string (refused) must not reach the log either.
  expect((await api(server, 'GET', `/api/clients?access_token=${admin.token}`, { token: admin.token })).status).toBe(422);

  const rp = await relyingParty(server.url, clinic.id, conn.secret);
  const browser = new Browser();
  const a = await authorize(rp, server.url, { redirectUri, scope: 'openid offline_access client:read', prompt: 'consent', email: 'logged@clinic.example', browser });
  const code = a.callbackUrl.searchParams.get('code')!;
  secrets.push(code, a.verifier, ...browser.cookies.values());
  const tokens = await oidc.authorizationCodeGrant(rp, a.callbackUrl, { pkceCodeVerifier: a.verifier, expectedState: a.state });
  secrets.push(tokens.access_token, tokens.refresh_token!, tokens.id_token!);
  await oidc.fetchUserInfo(rp, tokens.access_token, tokens.claims()!.sub);
  const refreshed = await oidc.refreshTokenGrant(rp, tokens.refresh_token!);
  secrets.push(refreshed.access_token, refreshed.refresh_token!);
  await introspect(server.url, refreshed.access_token, [admin.client.id, admin.self.secret]);
  // A replayed code and a wrong password: errors are logged without what was sent.
  await tokenRequest(server.url, { grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: a.verifier }, [clinic.id, conn.secret]);
  await expect(authorize(rp, server.url, { redirectUri, scope: 'openid', email: 'logged@clinic.example', password: 'Wrong-password-123', browser: new Browser() }))
    .rejects.toThrow(/401/);
  secrets.push('Wrong-password-123');
  await oidc.tokenRevocation(rp, refreshed.refresh_token!);
  await new Promise((r) => setTimeout(r, 50)); // the last lines are written after their responses

  const requests = lines.filter((l) => l.msg === 'request');
  expect(requests.length).toBeGreaterThan(15);
  for (const line of requests) {
    expect(line).toEqual(expect.objectContaining({
      request_id: expect.any(String), client_address: expect.any(String), route: expect.any(String),
      status: expect.any(Number), ms: expect.any(Number),
    }));
    expect(String(line.route)).not.toMatch(/[?]/);
  }
  expect(requests.find((l) => l.request_id === 'req-api-1')).toMatchObject({
    client_address: '203.0.113.7', route: '/api/clients/:id', status: 200, client_id: admin.client.id,
  });
  const token = requests.filter((l) => l.route === '/token');
  expect(token.length).toBeGreaterThanOrEqual(3);
  expect(token.every((l) => typeof l.client_id === 'string')).toBe(true);
  expect(token).toEqual(expect.arrayContaining([expect.objectContaining({ client_id: clinic.id, user_id: user.id, status: 200 })]));
  expect(requests.find((l) => l.route === '/me')).toMatchObject({ client_id: clinic.id, user_id: user.id, status: 200 });
  expect(requests.find((l) => l.route === '/interaction/:uid/login' && l.status === 303)).toMatchObject({ user_id: user.id });

  for (const secret of secrets) {
    expect(secret.length).toBeGreaterThan(8);
    expect(raw).not.toContain(secret);
    expect(raw).not.toContain(encodeURIComponent(secret));
  }
});
