// CONTRACT §11 second factor: TOTP (RFC 6238, 6 digits, 30 s, SHA-1) enrolled on /account with a QR code Gatehouse
// renders itself, confirmed with a current code, 10 single-use recovery codes shown once and kept hashed; then the
// sign-in asks for a code after the password and wrong codes count toward the login throttle; ADMIN_MFA=required
// sends console members to enrol first; DELETE /api/users/{id}/mfa removes it; the key is encrypted at rest.
import crypto from 'node:crypto';
import * as oidc from 'openid-client';
import { bootstrapAdmin } from '../src/domain/bootstrap.js';
import { currentCode } from '../src/domain/secondFactor.js';
import { api, callerOfType } from './support/api.js';
import { PASSWORD, createClient, createUser, putConnection, type TestClient, type TestConnection } from './support/internal.js';
import { Browser, relyingParty } from './support/oauth.js';
import { startServer, type TestServer } from './support/server.js';

let server: TestServer;
let clinic: TestClient;
let conn: TestConnection;
const REDIRECT = 'https://mis.example/callback';
let counter = 0;

beforeAll(async () => {
  server = await startServer();
  clinic = await createClient(server, { name: 'Clinic', client_type: 'MSP' });
  const mis = await createClient(server, { name: 'MIS', client_type: 'MIS' });
  conn = await putConnection(server, clinic.id, { consumer_id: mis.id, redirect_uri: REDIRECT });
});

afterAll(() => server?.stop());

const db = (s = server) => s.gatehouse.db.dataSource.manager;

async function follow(browser: Browser, res: Response, base = server.url, stopAt?: string): Promise<Response> {
  let r = res;
  while ((r.status === 302 || r.status === 303) && !(stopAt && r.headers.get('location')!.startsWith(stopAt))) {
    r = await browser.get(new URL(r.headers.get('location')!, base).href);
  }
  return r;
}

function field(html: string, re: RegExp): string {
  return re.exec(html)![1].replace(/&amp;/g, '&');
}

/** Signs in to /account; returns the browser. */
async function accountBrowser(email: string, base = server.url) {
  const browser = new Browser();
  const res = await browser.postForm(`${base}/account/login`, { email, password: PASSWORD });
  expect(res.status).toBe(303);
  return browser;
}

/** Enrols the user's second factor through /account; returns the key and the recovery codes. */
async function enrol(browser: Browser, base = server.url, path = '/account/mfa') {
  const page = await browser.get(`${base}${path}`);
  expect(page.status).toBe(200);
  const html = await page.text();
  const key = field(html, /<code id="mfa-key" class="key">([^<]+)<\/code>/).replace(/\s/g, '');
  const action = field(html, /<form method="post" action="([^"]+)"/);
  const res = await browser.postForm(new URL(action, base).href, { _csrf: field(html, /name="_csrf" value="([^"]+)"/), code: currentCode(key) });
  expect(res.status).toBe(200);
  const codesHtml = await res.text();
  const codes = [...codesHtml.matchAll(/<li><code>([a-z2-7]{5}-[a-z2-7]{5})<\/code><\/li>/g)].map((m) => m[1]);
  return { key, codes, html, codesHtml };
}

async function newEnrolledUser() {
  const email = `doctor${++counter}@clinic.example`;
  const user = await createUser(server, { email, memberships: [{ client_id: clinic.id, scopes: [] }] });
  const { key, codes } = await enrol(await accountBrowser(email));
  return { id: user.id as string, email, key, codes };
}

/** An authorization request through the login page's password step: the page that follows it. */
async function passwordStep(email: string, browser = new Browser()) {
  const rp = await relyingParty(server.url, clinic.id, conn.secret);
  const url = oidc.buildAuthorizationUrl(rp, {
    redirect_uri: REDIRECT, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
    code_challenge_method: 'S256', ui_locales: 'en',
  });
  const login = await follow(browser, await browser.get(url.href));
  const action = field(await login.text(), /action="([^"]*\/login)"/);
  const res = await browser.postForm(new URL(action, server.url).href, { email, password: PASSWORD });
  return { browser, res, html: res.status === 200 ? await res.text() : '' };
}

async function codeStep(browser: Browser, html: string, code: string) {
  const action = field(html, /<form method="post" action="([^"]+second-factor)"/);
  const challenge = field(html, /name="challenge" value="([^"]+)"/);
  return browser.postForm(new URL(action, server.url).href, { challenge, code });
}

test('enrolment shows a QR code rendered by Gatehouse and the key as text; a wrong code enables nothing', async () => {
  const email = `enrol${++counter}@clinic.example`;
  const user = await createUser(server, { email, memberships: [] });
  const browser = await accountBrowser(email);
  const page = await browser.get(`${server.url}/account/mfa`);
  const html = await page.text();
  expect(html).toMatch(/<img id="mfa-qr" src="data:image\/png;base64,[A-Za-z0-9+/=]+"/);
  expect(html).not.toMatch(/src="https?:/);
  const key = field(html, /<code id="mfa-key" class="key">([^<]+)<\/code>/).replace(/\s/g, '');
  expect(key).toMatch(/^[A-Z2-7]{32}$/);
  // The same key until it is confirmed (a reload does not invalidate what was scanned).
  expect(await (await browser.get(`${server.url}/account/mfa`)).text()).toContain(field(html, /<code id="mfa-key" class="key">([^<]+)<\/code>/));
  const wrongCode = currentCode(key) === '000000' ? '111111' : '000000';
  const wrong = await browser.postForm(`${server.url}/account/mfa`, { _csrf: field(html, /name="_csrf" value="([^"]+)"/), code: wrongCode });
  expect(wrong.status).toBe(422);
  const [row] = await db().query('SELECT mfa_secret, mfa_pending_secret FROM users WHERE id = $1', [user.id]);
  expect(row.mfa_secret).toBeNull();
  // Encrypted at rest: the stored value is neither the key nor any encoding of it.
  expect(row.mfa_pending_secret).toMatch(/^v1\./);
  expect(row.mfa_pending_secret).not.toContain(key);
});

test('a current code turns it on and shows 10 recovery codes once; they are kept hashed and the key encrypted', async () => {
  const email = `enrol${++counter}@clinic.example`;
  const user = await createUser(server, { email, memberships: [] });
  const browser = await accountBrowser(email);
  const { key, codes, codesHtml } = await enrol(browser);
  expect(codes).toHaveLength(10);
  expect(new Set(codes).size).toBe(10);
  expect(codesHtml).toMatch(/<html lang="(uk|en)">/);

  const [row] = await db().query('SELECT mfa_secret, mfa_pending_secret FROM users WHERE id = $1', [user.id]);
  expect(row.mfa_pending_secret).toBeNull();
  expect(row.mfa_secret).toMatch(/^v1\./);
  expect(row.mfa_secret).not.toContain(key);
  expect(row.mfa_secret).not.toContain(Buffer.from(key).toString('base64'));
  const stored: Array<{ code_hash: string }> = await db().query('SELECT code_hash FROM mfa_recovery_codes WHERE user_id = $1', [user.id]);
  expect(stored).toHaveLength(10);
  for (const c of codes) expect(stored.map((s) => s.code_hash)).not.toContain(c);
  const events: Array<{ action: string; details: unknown }> = await db().query('SELECT action, details FROM audit_events WHERE target_id = $1', [user.id]);
  expect(events.map((e) => e.action)).toContain('user.mfa_enable');
  expect(JSON.stringify(events)).not.toContain(key);
  expect(JSON.stringify(events)).not.toContain(codes[0]);

  // Shown once: the account page says how many are left, never the codes; enrolment is closed now.
  const account = await (await browser.get(`${server.url}/account?ui_locales=en`)).text();
  expect(account).toContain('10 recovery codes left');
  expect(account).not.toContain(codes[0]);
  expect((await browser.get(`${server.url}/account/mfa`)).status).toBe(303);
});

test('sign-in asks for the code after the password; a wrong code is refused, a current one signs in, once', async () => {
  const user = await newEnrolledUser();
  const { browser, res, html } = await passwordStep(user.email);
  expect(res.status).toBe(200);
  expect(html).toContain('name="code"');
  expect(html).not.toContain('name="password"');

  const wrong = await codeStep(browser, html, currentCode(user.key) === '123456' ? '654321' : '123456');
  expect(wrong.status).toBe(401);
  expect(await wrong.text()).toContain('The code is wrong or was already used.');

  // The next step's code (one step of drift allowed): newer than the one enrolment used.
  const code = currentCode(user.key, Date.now() + 30_000);
  const ok = await codeStep(browser, html, code);
  expect(ok.status).toBe(303);
  // Signed in: the consent page follows, then the code goes back to the relying party.
  const consent = await follow(browser, ok, server.url, REDIRECT);
  const confirm = field(await consent.text(), /action="([^"]*\/confirm)"/);
  const back = await follow(browser, await browser.postForm(new URL(confirm, server.url).href, {}), server.url, REDIRECT);
  expect(back.headers.get('location')).toMatch(/^https:\/\/mis\.example\/callback\?code=/);

  // The same code again, in another sign-in: refused (RFC 6238 §5.2).
  const again = await passwordStep(user.email);
  expect((await codeStep(again.browser, again.html, code)).status).toBe(401);
  const events: Array<{ action: string }> = await db().query('SELECT action FROM audit_events WHERE target_id = $1', [user.id]);
  expect(events.map((e) => e.action)).toEqual(expect.arrayContaining(['user.sign_in', 'user.sign_in_failed']));
});

test('a recovery code signs in once; the second use is refused', async () => {
  const user = await newEnrolledUser();
  const first = await passwordStep(user.email);
  const ok = await codeStep(first.browser, first.html, user.codes[3].toUpperCase());
  expect(ok.status).toBe(303);
  const second = await passwordStep(user.email);
  expect((await codeStep(second.browser, second.html, user.codes[3])).status).toBe(401);
  const [left] = await db().query('SELECT count(*)::int AS n FROM mfa_recovery_codes WHERE user_id = $1 AND used_at IS NULL', [user.id]);
  expect(left.n).toBe(9);
});

test('wrong codes count toward the login throttle: after 5 the right code gets 429 too', async () => {
  const user = await newEnrolledUser();
  const { browser, html } = await passwordStep(user.email);
  for (let i = 0; i < 5; i++) expect((await codeStep(browser, html, `00000${i}`)).status).toBe(401);
  const locked = await codeStep(browser, html, currentCode(user.key, Date.now() + 30_000));
  expect(locked.status).toBe(429);
  expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
  // The password step is refused as well now.
  expect((await passwordStep(user.email)).res.status).toBe(429);
});

test('a challenge is bound to its sign-in: it cannot be carried to another one or forged', async () => {
  const user = await newEnrolledUser();
  const a = await passwordStep(user.email);
  const b = await passwordStep(user.email);
  const challenge = field(a.html, /name="challenge" value="([^"]+)"/);
  const action = field(b.html, /<form method="post" action="([^"]+second-factor)"/);
  const moved = await b.browser.postForm(new URL(action, server.url).href, { challenge, code: currentCode(user.key, Date.now() + 30_000) });
  expect(moved.status).toBe(400);
  const forged = await b.browser.postForm(new URL(action, server.url).href, { challenge: `v1.${crypto.randomBytes(20).toString('base64url')}`, code: '123456' });
  expect(forged.status).toBe(400);
});

test('DELETE /api/users/{id}/mfa: ADMIN clients with user:write only; afterwards the sign-in asks no code', async () => {
  const user = await newEnrolledUser();
  const admin = await callerOfType(server, 'ADMIN', { scopes: ['user:write'] });
  const notAdmin = await callerOfType(server, 'INTEGRATION', { permissions: ['user:write'], scopes: ['user:write'] });
  const noScope = await callerOfType(server, 'ADMIN', { scopes: ['client:read'] });

  expect((await api(server, 'DELETE', `/api/users/${user.id}/mfa`)).status).toBe(401);
  expect((await api(server, 'DELETE', `/api/users/${user.id}/mfa`, { token: noScope.token })).body).toEqual({ error: { type: 'forbidden', message: 'Invalid scopes' } });
  expect((await api(server, 'DELETE', `/api/users/${user.id}/mfa`, { token: notAdmin.token })).status).toBe(403);
  expect((await api(server, 'DELETE', `/api/users/${crypto.randomUUID()}/mfa`, { token: admin.token })).status).toBe(404);
  const malformed = await api(server, 'DELETE', '/api/users/not-a-uuid/mfa', { token: admin.token });
  expect(malformed.status).toBe(422);
  expect(malformed.body.error.invalid[0]).toMatchObject({ entry_type: 'path_parameter' });

  const reader = await callerOfType(server, 'ADMIN', { scopes: ['user:read'] });
  const mfaEnabled = async () => (await api(server, 'GET', `/api/users/${user.id}`, { token: reader.token })).body.data.mfa_enabled;
  expect(await mfaEnabled()).toBe(true);
  const res = await api(server, 'DELETE', `/api/users/${user.id}/mfa`, { token: admin.token });
  expect(res.status).toBe(204);
  expect(await mfaEnabled()).toBe(false);
  const { res: login } = await passwordStep(user.email);
  expect(login.status).toBe(303);
  const [row] = await db().query('SELECT mfa_secret FROM users WHERE id = $1', [user.id]);
  expect(row.mfa_secret).toBeNull();
  const [event] = await db().query(`SELECT actor_type, actor_id FROM audit_events WHERE action = 'user.mfa_reset' AND target_id = $1`, [user.id]);
  expect(event).toEqual({ actor_type: 'client', actor_id: admin.client.id });
});

test('ADMIN_MFA=required: a console member without a second factor enrols first, then the console lets them in', async () => {
  const other = await startServer({ env: { ADMIN_MFA: 'required' } });
  try {
    const email = 'admin@ministry.example';
    await bootstrapAdmin(db(other), other.gatehouse.secrets, other.url, email, PASSWORD);
    const browser = new Browser();
    const login = await follow(browser, await browser.get(`${other.url}/console`), other.url);
    const action = field(await login.text(), /action="([^"]*\/login)"/);
    const afterPassword = await follow(browser, await browser.postForm(new URL(action, other.url).href, { email, password: PASSWORD }), other.url);
    expect(new URL(afterPassword.url).pathname).toBe('/account/mfa');
    const html = await afterPassword.text();
    expect(html).toContain('id="mfa-required"');
    // Not in the console yet.
    expect((await browser.get(`${other.url}/console/clients`)).status).toBe(302);

    const key = field(html, /<code id="mfa-key" class="key">([^<]+)<\/code>/).replace(/\s/g, '');
    const formAction = field(html, /<form method="post" action="([^"]+)"/);
    const done = await browser.postForm(new URL(formAction, other.url).href, { _csrf: field(html, /name="_csrf" value="([^"]+)"/), code: currentCode(key) });
    const next = field(await done.text(), /id="recovery-continue" href="([^"]+)"/);
    expect(new URL(next, other.url).pathname).toBe('/console');
    const console = await follow(browser, await browser.get(new URL(next, other.url).href), other.url);
    expect(console.status).toBe(200);
    expect(new URL(console.url).pathname).toMatch(/^\/console\/(services|clients|audit)/);
  } finally {
    await other.stop();
  }
});
