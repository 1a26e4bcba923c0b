// Who may sign in through a client (CONTRACT §3), on every path that ends in a code or a token: a user who is
// blocked or deleted, or whose membership is removed, gets no new code (even with a live session and an existing
// grant, where no page is shown) and no refresh from that moment on.
import * as oidc from 'openid-client';
import { createClient, createUser, putConnection, type TestClient, type TestConnection } from './support/internal.js';
import { Browser, authorize, relyingParty, signIn, tokenRequest } from './support/oauth.js';
import { startServer, type TestServer } from './support/server.js';

let server: TestServer;
let clinic: TestClient;
let conn: TestConnection;
const REDIRECT = 'https://mis.example/cb';

beforeAll(async () => {
  server = await startServer();
  clinic = await createClient(server, { name: 'Clinic', client_type: 'MSP' });
  const mis = await createClient(server, { name: 'MIS', client_type: 'MIS' });
  conn = await putConnection(server, clinic.id, { consumer_id: mis.id, redirect_uri: REDIRECT });
});
afterAll(() => server?.stop());

const sql = (text: string, values: unknown[]) => server.gatehouse.db.dataSource.query(text, values);

/** A member signed in with offline access: their browser (live session and grant) and refresh token. */
async function signedInMember(email: string) {
  const user = await createUser(server, { email, memberships: [{ client_id: clinic.id, scopes: [] }] });
  const rp = await relyingParty(server.url, clinic.id, conn.secret);
  const browser = new Browser();
  const { tokens } = await signIn(rp, server.url, { redirectUri: REDIRECT, scope: 'openid offline_access', prompt: 'consent', email, browser });
  // With the session and the grant in place, a new authorization needs no page at all.
  const silent = await authorize(rp, server.url, { redirectUri: REDIRECT, scope: 'openid', email, browser });
  expect(silent.callbackUrl.searchParams.get('code')).toBeTruthy();
  return { userId: user.id as string, rp, browser, email, refreshToken: tokens.refresh_token! };
}

/**
 * The live session and grant give no code: the browser is sent back with access_denied (a member no more) or asked
 * to sign in again (a blocked or deleted user's session signs no one in); the refresh token is invalid_grant.
 */
async function expectNothingNew(m: Awaited<ReturnType<typeof signedInMember>>, ending: 'access_denied' | 'login') {
  const url = oidc.buildAuthorizationUrl(m.rp, {
    redirect_uri: REDIRECT, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256',
  });
  let res = await m.browser.get(url.href);
  for (let hop = 0; hop < 6 && res.status >= 300 && res.status < 400; hop++) {
    const to = new URL(res.headers.get('location')!, server.url);
    if (to.origin === new URL(REDIRECT).origin) {
      expect(ending).toBe('access_denied');
      expect(to.searchParams.get('error')).toBe('access_denied');
      expect(to.searchParams.get('code')).toBeNull();
      break;
    }
    res = await m.browser.get(to.href);
  }
  if (ending === 'login') {
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/action="\/interaction\/[^"]+\/login"/);
    // And signing in as that user is refused like any wrong password.
    const login = await m.browser.postForm(`${res.url}/login`, { email: m.email, password: 'correct horse battery staple' });
    expect(login.status).toBe(401);
  }
  const refreshed = await tokenRequest(server.url, { grant_type: 'refresh_token', refresh_token: m.refreshToken }, [clinic.id, conn.secret]);
  expect(refreshed.body.error).toBe('invalid_grant');
}

test('a blocked user gets no code from an existing session and grant, and no refresh', async () => {
  const m = await signedInMember('blocked@clinic.example');
  await sql('UPDATE users SET is_blocked = true WHERE id = $1', [m.userId]);
  await expectNothingNew(m, 'login');
});

test('a removed membership: no code from an existing session and grant, and no refresh', async () => {
  const m = await signedInMember('moved@clinic.example');
  await sql('DELETE FROM memberships WHERE user_id = $1', [m.userId]);
  await expectNothingNew(m, 'access_denied');
});

test('a deleted user: the same', async () => {
  const m = await signedInMember('gone@clinic.example');
  await sql('DELETE FROM users WHERE id = $1', [m.userId]);
  await expectNothingNew(m, 'login');
});

test('a code issued before the membership was removed is not exchanged after', async () => {
  const m = await signedInMember('late@clinic.example');
  const a = await authorize(m.rp, server.url, { redirectUri: REDIRECT, scope: 'openid', email: m.email, browser: m.browser });
  await sql('DELETE FROM memberships WHERE user_id = $1', [m.userId]);
  await expect(oidc.authorizationCodeGrant(m.rp, a.callbackUrl, { pkceCodeVerifier: a.verifier, expectedState: a.state }))
    .rejects.toMatchObject({ error: 'invalid_grant' });
});

test('a non-member posting the consent form directly gets access_denied, never a code', async () => {
  const other = await createClient(server, { name: 'Other', client_type: 'MSP' });
  const misB = await createClient(server, { name: 'MIS B', client_type: 'MIS' });
  const otherConn = await putConnection(server, other.id, { consumer_id: misB.id, redirect_uri: 'https://b.example/cb' });
  const m = await signedInMember('member-of-one@clinic.example');
  // Start a flow for the other client with the live session, and skip the consent page.
  const rp = await relyingParty(server.url, other.id, otherConn.secret);
  const url = oidc.buildAuthorizationUrl(rp, {
    redirect_uri: 'https://b.example/cb', scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256',
  });
  const first = await m.browser.get(url.href);
  const interaction = new URL(first.headers.get('location')!, server.url).href;
  let res = await m.browser.postForm(`${interaction}/confirm`, {});
  for (let hop = 0; hop < 5 && res.status >= 300 && res.status < 400; hop++) {
    const to = new URL(res.headers.get('location')!, server.url);
    if (to.origin === 'https://b.example') {
      expect(to.searchParams.get('error')).toBe('access_denied');
      expect(to.searchParams.get('code')).toBeNull();
      return;
    }
    res = await m.browser.get(to.href);
  }
  throw new Error(`ended at ${res.status} without a redirect to the client`);
});
