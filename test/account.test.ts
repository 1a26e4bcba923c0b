// CONTRACT §11 GET /account: a user signs in through Gatehouse's own sign-in, changes the password (the current one
// required, §8's rules), sees the clients they allowed with the scopes and revokes each (its tokens die), and signs
// out everywhere (every session ends). Every change is audited.
import * as oidc from 'openid-client';
import { createClient, createUser, putConnection, type TestClient, type TestConnection } from './support/internal.js';
import { Browser, introspect, relyingParty, signIn, tokenRequest } from './support/oauth.js';
import { startServer, type TestServer } from './support/server.js';

let server: TestServer;
let clinic: TestClient;
let conn: TestConnection;
let admin: { id: string; secret: string };
const REDIRECT = 'https://mis.example/callback';
let counter = 0;

beforeAll(async () => {
  server = await startServer();
  clinic = await createClient(server, { name: 'Поліклініка', client_type: 'MSP' });
  const mis = await createClient(server, { name: 'MIS', client_type: 'MIS' });
  conn = await putConnection(server, clinic.id, { consumer_id: mis.id, redirect_uri: REDIRECT });
  const adm = await createClient(server, { name: 'Admin', client_type: 'ADMIN' });
  admin = { id: adm.id, secret: (await putConnection(server, adm.id, { consumer_id: adm.id })).secret };
});

afterAll(() => server?.stop());

async function newUser(password = 'correct horse battery staple') {
  const email = `user${++counter}@clinic.example`;
  const user = await createUser(server, { email, password, memberships: [{ client_id: clinic.id, scopes: ['client:read', 'connection:read'] }] });
  return { id: user.id as string, email, password };
}

async function follow(browser: Browser, res: Response): Promise<Response> {
  let r = res;
  while (r.status === 302 || r.status === 303) r = await browser.get(new URL(r.headers.get('location')!, server.url).href);
  return r;
}

/** Signs in to /account with the password; returns the browser and the account page's HTML. */
async function accountSignIn(email: string, password: string, browser = new Browser()) {
  const start = await browser.get(`${server.url}/account`);
  expect(start.status).toBe(302);
  const login = await follow(browser, start);
  const action = /<form method="post" action="([^"]+)"/.exec(await login.text())![1].replace(/&amp;/g, '&');
  const res = await browser.postForm(new URL(action, server.url).href, { email, password });
  expect(res.status).toBe(303);
  const page = await follow(browser, res);
  expect(page.status).toBe(200);
  return { browser, html: await page.text() };
}

function csrf(html: string): string {
  return /name="_csrf" value="([^"]+)"/.exec(html)![1];
}

async function auditActions(userId: string): Promise<string[]> {
  const rows: Array<{ action: string }> = await server.gatehouse.db.dataSource.manager.query(
    'SELECT action FROM audit_events WHERE target_id = $1 ORDER BY inserted_at, id', [userId],
  );
  return rows.map((r) => r.action);
}

async function accountPage(browser: Browser) {
  const res = await browser.get(`${server.url}/account`);
  return { status: res.status, html: await res.text() };
}

test('/account asks for a sign-in, then shows who is signed in; a wrong password does not get in', async () => {
  const user = await newUser();
  const anonymous = await fetch(`${server.url}/account`, { redirect: 'manual' });
  expect(anonymous.status).toBe(302);
  expect(anonymous.headers.get('location')).toMatch(/^\/account\/login/);
  const wrong = await new Browser().postForm(`${server.url}/account/login`, { email: user.email, password: 'wrong wrong wrong' });
  expect(wrong.status).toBe(401);
  const { html } = await accountSignIn(user.email, user.password);
  expect(html).toContain(user.email);
  expect(await auditActions(user.id)).toEqual(expect.arrayContaining(['user.sign_in', 'account.sign_in']));
});

test('changing the password needs the current one and follows §8; the old one stops working', async () => {
  const user = await newUser();
  const { browser, html } = await accountSignIn(user.email, user.password);
  const post = (fields: Record<string, string>) => browser.postForm(`${server.url}/account/password?ui_locales=en`, { _csrf: csrf(html), ...fields });

  const wrongCurrent = await post({ current_password: 'not my password', new_password: 'a brand new passphrase', repeat_password: 'a brand new passphrase' });
  expect(wrongCurrent.status).toBe(401);
  expect(await wrongCurrent.text()).toContain('The current password is wrong.');
  const short = await post({ current_password: user.password, new_password: 'short one', repeat_password: 'short one' });
  expect(short.status).toBe(422);
  expect(await short.text()).toContain('at least 12 characters');
  const local = user.email.split('@')[0];
  const withEmail = await post({ current_password: user.password, new_password: `${local} is my password`, repeat_password: `${local} is my password` });
  expect(withEmail.status).toBe(422);
  expect(await withEmail.text()).toContain('before the @');
  const common = await post({ current_password: user.password, new_password: 'password1234', repeat_password: 'password1234' });
  expect(common.status).toBe(422);
  expect(await common.text()).toContain('too common');
  const mismatch = await post({ current_password: user.password, new_password: 'a brand new passphrase', repeat_password: 'a brand new passphrase!' });
  expect(mismatch.status).toBe(422);

  const ok = await post({ current_password: user.password, new_password: 'a brand new passphrase', repeat_password: 'a brand new passphrase' });
  expect(ok.status).toBe(303);
  expect(ok.headers.get('location')).toBe('/account?done=password_changed&ui_locales=en');
  expect((await accountPage(browser)).html).toContain(user.email);

  const old = await new Browser().postForm(`${server.url}/account/login`, { email: user.email, password: user.password });
  expect(old.status).toBe(401);
  await accountSignIn(user.email, 'a brand new passphrase');
  expect(await auditActions(user.id)).toContain('user.password_change');
});

test('a form without its CSRF token changes nothing', async () => {
  const user = await newUser();
  const { browser } = await accountSignIn(user.email, user.password);
  const res = await browser.postForm(`${server.url}/account/password`, {
    current_password: user.password, new_password: 'a brand new passphrase', repeat_password: 'a brand new passphrase',
  });
  expect(res.status).toBe(403);
  await accountSignIn(user.email, user.password);
});

test('the clients the user allowed are listed with their scopes; revoking one kills its tokens at once', async () => {
  const user = await newUser();
  const rp = await relyingParty(server.url, clinic.id, conn.secret);
  const { tokens } = await signIn(rp, server.url, {
    redirectUri: REDIRECT, scope: 'openid email offline_access connection:read', prompt: 'consent', email: user.email, password: user.password,
  });
  expect((await introspect(server.url, tokens.access_token, [admin.id, admin.secret])).body.active).toBe(true);

  const { browser, html } = await accountSignIn(user.email, user.password);
  expect(html).toContain(`data-client-id="${clinic.id}"`);
  expect(html).toContain('Поліклініка');
  for (const scope of ['connection:read', 'email', 'offline_access', 'openid']) expect(html).toContain(`<code>${scope}</code>`);

  const revoked = await browser.postForm(`${server.url}/account/grants/revoke`, { _csrf: csrf(html), client_id: clinic.id });
  expect(revoked.status).toBe(303);
  const after = await accountPage(browser);
  expect(after.html).not.toContain(`data-client-id="${clinic.id}"`);
  expect(after.html).toContain('id="no-grants"');

  expect((await introspect(server.url, tokens.access_token, [admin.id, admin.secret])).body.active).toBe(false);
  const refresh = await tokenRequest(server.url, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }, [clinic.id, conn.secret]);
  expect(refresh).toMatchObject({ status: 400, body: { error: 'invalid_grant' } });
  await expect(oidc.fetchUserInfo(rp, tokens.access_token, tokens.claims()!.sub)).rejects.toThrow();
  expect(await auditActions(user.id)).toContain('grant.revoke');
});

test('sign out everywhere ends every session: /account here and elsewhere, and the browser signed in to an application', async () => {
  const user = await newUser();
  const rp = await relyingParty(server.url, clinic.id, conn.secret);
  // Another workstation, signed in to the medical information system through Gatehouse.
  const workstation = await signIn(rp, server.url, { redirectUri: REDIRECT, scope: 'openid', email: user.email, password: user.password });
  const otherAccount = await accountSignIn(user.email, user.password);
  const { browser, html } = await accountSignIn(user.email, user.password);

  const res = await browser.postForm(`${server.url}/account/sign-out-everywhere`, { _csrf: csrf(html) });
  expect(res.status).toBe(303);
  expect(res.headers.get('location')).toMatch(/^\/account\/login\?done=signed_out_everywhere/);
  expect((await accountPage(browser)).status).toBe(302);
  expect((await accountPage(otherAccount.browser)).status).toBe(302);

  // The workstation's next authorization asks for the password again.
  const auth = oidc.buildAuthorizationUrl(rp, {
    redirect_uri: REDIRECT, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256',
  });
  const page = await follow(workstation.browser, await workstation.browser.get(auth.href));
  expect(await page.text()).toContain('name="password"');
  expect(await auditActions(user.id)).toContain('user.sign_out_everywhere');
});

test('the sign-in at /account is throttled like any other (429 with Retry-After)', async () => {
  const user = await newUser();
  const browser = new Browser();
  for (let i = 0; i < 5; i++) {
    expect((await browser.postForm(`${server.url}/account/login`, { email: user.email, password: `wrong ${i} wrong wrong` })).status).toBe(401);
  }
  const locked = await browser.postForm(`${server.url}/account/login`, { email: user.email, password: user.password });
  expect(locked.status).toBe(429);
  expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
});
