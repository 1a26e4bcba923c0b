// Attacks on the paths of issues 11, 12 and 14 (CONTRACT §3, §7, §8, §10, §11): /api/users, password setup links,
// /account, the second factor, the console's sign-in under ADMIN_MFA=required. Real HTTP against a real server;
// OAuth through openid-client (support/oauth.ts). Every request is logged at debug level into memory, and the test
// at the end greps those lines and the audit details for the secrets the flows handled.
import http from 'node:http';
import { Writable } from 'node:stream';
import * as oidc from 'openid-client';
import pg from 'pg';
import { bootstrapAdmin } from '../src/domain/bootstrap.js';
import { currentCode } from '../src/domain/secondFactor.js';
import { createLogger } from '../src/log.js';
import { type ApiCaller, api, callerOfType } from './support/api.js';
import { PASSWORD, createClient, createUser, putConnection, type TestClient, type TestConnection } from './support/internal.js';
import { consoleSignIn } from './support/consoleFetch.js';
import { Browser, authorize, relyingParty, tokenRequest } from './support/oauth.js';
import { startServer, type TestServer } from './support/server.js';

let server: TestServer;
let admin: ApiCaller;
let clinic: TestClient;
let mis: TestClient;
let conn: TestConnection;
const REDIRECT = 'https://mis.example/callback';
const LOGOUT = 'https://mis.example/logged-out';
let counter = 0;
const logged: string[] = [];
/** Every secret the flows below handled: none may appear in a log line or an audit event's details. */
const secretsSeen: string[] = [];

beforeAll(async () => {
  const sink = new Writable({ write(chunk, _enc, cb) { logged.push(String(chunk)); cb(); } });
  server = await startServer({ log: createLogger(process.env.TEST_LOG_LEVEL ?? 'debug', sink) });
  admin = await callerOfType(server, 'ADMIN');
  clinic = await createClient(server, { name: 'Clinic', client_type: 'MSP' });
  mis = await createClient(server, { name: 'MIS', client_type: 'MIS' });
  conn = await putConnection(server, clinic.id, { consumer_id: mis.id, redirect_uri: REDIRECT, post_logout_redirect_uri: LOGOUT });
}, 60_000);

afterAll(() => server?.stop());

const db = () => server.gatehouse.db.dataSource.manager;
const unescape = (s: string) => s.replace(/&amp;/g, '&').replace(/&#x2F;/g, '/').replace(/&#x3D;/g, '=');
const field = (html: string, re: RegExp): string => unescape(re.exec(html)![1]);
const csrfOf = (html: string) => field(html, /name="_csrf" value="([^"]+)"/);

async function follow(browser: Browser, res: Response, stopAt?: string): Promise<Response> {
  let r = res;
  for (let i = 0; i < 12 && (r.status === 302 || r.status === 303); i++) {
    const to = new URL(r.headers.get('location')!, server.url).href;
    if (stopAt && to.startsWith(stopAt)) return r;
    r = await browser.get(to);
  }
  return r;
}

async function accountBrowser(email: string, password = PASSWORD) {
  const browser = new Browser();
  const res = await browser.postForm(`${server.url}/account/login`, { email, password });
  expect(res.status).toBe(303);
  return browser;
}

async function accountCsrf(browser: Browser) {
  const page = await browser.get(`${server.url}/account?ui_locales=en`);
  expect(page.status).toBe(200);
  return csrfOf(await page.text());
}

async function enrol(browser: Browser) {
  const html = await (await browser.get(`${server.url}/account/mfa`)).text();
  const key = field(html, /<code id="mfa-key" class="key">([^<]+)<\/code>/).replace(/\s/g, '');
  const res = await browser.postForm(`${server.url}/account/mfa`, { _csrf: csrfOf(html), code: currentCode(key) });
  expect(res.status).toBe(200);
  const codes = [...(await res.text()).matchAll(/<li><code>([a-z2-7]{5}-[a-z2-7]{5})<\/code><\/li>/g)].map((m) => m[1]);
  secretsSeen.push(key, ...codes, ...codes.map((c) => c.replace('-', '')));
  return { key, codes };
}

async function member(scopes: string[] = []) {
  const email = `attack${++counter}@clinic.example`;
  const user = await createUser(server, { email, memberships: [{ client_id: clinic.id, scopes }] });
  return { id: user.id as string, email };
}

async function enrolledMember() {
  const user = await member();
  const browser = await accountBrowser(user.email);
  return { ...user, browser, ...(await enrol(browser)) };
}

/** The next 30-second step's code: accepted (one step of drift) and not yet used by the enrolment. */
const nextCode = (key: string) => currentCode(key, Date.now() + 30_000);

/** The authorization request up to the second-factor page of the interaction. */
async function toSecondFactor(email: string, browser = new Browser()) {
  const rp = await relyingParty(server.url, clinic.id, conn.secret);
  const url = oidc.buildAuthorizationUrl(rp, {
    redirect_uri: REDIRECT, scope: 'openid', ui_locales: 'en',
    code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256',
  });
  const login = await follow(browser, await browser.get(url.href));
  const action = field(await login.text(), /action="([^"]*\/login)"/);
  const res = await browser.postForm(new URL(action, server.url).href, { email, password: PASSWORD });
  expect(res.status).toBe(200);
  const html = await res.text();
  return {
    browser, action: new URL(field(html, /<form method="post" action="([^"]+second-factor)"/), server.url).href,
    challenge: field(html, /name="challenge" value="([^"]+)"/),
  };
}

/** Posts a code; true when the sign-in went on to the client (a code or consent), false when it was refused. */
async function postCode(step: { browser: Browser; action: string; challenge: string }, code: string) {
  const res = await step.browser.postForm(step.action, { challenge: step.challenge, code });
  return res;
}

describe('second factor', () => {
  test('a challenge from another interaction, or another user, is refused', async () => {
    const a = await enrolledMember();
    const b = await enrolledMember();
    const stepA = await toSecondFactor(a.email);
    const stepB = await toSecondFactor(b.email);
    // A's challenge posted into B's interaction with A's code: not A's sign-in, not B's.
    const crossed = await postCode({ ...stepB, challenge: stepA.challenge }, nextCode(a.key));
    expect(crossed.status).toBe(400);
    // The code was not spent: A's own interaction still accepts it.
    expect((await postCode(stepA, nextCode(a.key))).status).toBe(303);
  });

  test('a used TOTP code is refused in another interaction', async () => {
    const u = await enrolledMember();
    const code = nextCode(u.key);
    expect((await postCode(await toSecondFactor(u.email), code)).status).toBe(303);
    expect((await postCode(await toSecondFactor(u.email), code)).status).toBe(401);
  });

  test('20 parallel posts of one recovery code sign in once', async () => {
    const u = await enrolledMember();
    // The password steps one after another (each right password gives its throttle attempt back), then the codes at once.
    const steps = [];
    for (let i = 0; i < 20; i++) steps.push(await toSecondFactor(u.email));
    const answers = await Promise.all(steps.map((s) => postCode(s, u.codes[0])));
    expect(answers.filter((r) => r.status === 303)).toHaveLength(1);
    const [left] = await db().query('SELECT count(*)::int AS n FROM mfa_recovery_codes WHERE user_id = $1 AND used_at IS NULL', [u.id]);
    expect(left.n).toBe(9);
  });

  test('a password reset kills a challenge already given: no sign-in without a password', async () => {
    const u = await enrolledMember();
    const step = await toSecondFactor(u.email);
    const accountStep = await new Browser().postForm(`${server.url}/account/login`, { email: u.email, password: PASSWORD });
    const accountChallenge = field(await accountStep.text(), /name="challenge" value="([^"]+)"/);
    const reset = await api(server, 'POST', `/api/users/${u.id}/actions/reset_password`, { token: admin.token });
    expect(reset.status).toBe(200);
    secretsSeen.push(reset.body.data.password_setup_url.split('/').pop());
    expect((await postCode(step, u.codes[1])).status).toBe(400);
    const account = await new Browser().postForm(`${server.url}/account/login/second-factor`, { challenge: accountChallenge, code: u.codes[2] });
    expect(account.status).toBe(400);
    expect(account.headers.getSetCookie().join()).not.toContain('gatehouse_account=');
  });

  test('an enabled second factor cannot be replaced from an /account session without a code', async () => {
    const u = await enrolledMember();
    const [before] = await db().query('SELECT mfa_secret FROM users WHERE id = $1', [u.id]);
    const csrf = await accountCsrf(u.browser);
    // A wrong code used to answer with a fresh key to confirm; that key then replaced the enabled one.
    const first = await u.browser.postForm(`${server.url}/account/mfa`, { _csrf: csrf, code: '000000' });
    const html = await first.text();
    const shown = /<code id="mfa-key" class="key">([^<]+)<\/code>/.exec(html);
    if (shown) {
      const key = shown[1].replace(/\s/g, '');
      await u.browser.postForm(`${server.url}/account/mfa`, { _csrf: csrf, code: currentCode(key) });
    }
    const [after] = await db().query('SELECT mfa_secret FROM users WHERE id = $1', [u.id]);
    expect(after.mfa_secret).toBe(before.mfa_secret);
    const [left] = await db().query('SELECT count(*)::int AS n FROM mfa_recovery_codes WHERE user_id = $1 AND used_at IS NULL', [u.id]);
    expect(left.n).toBe(10);
    expect(first.status).toBeGreaterThanOrEqual(300);
  });
});

describe('/account', () => {
  test('forms need the page before them: no token, another session\'s token, a cross-site sign-in', async () => {
    const a = await member();
    const b = await member();
    const browserA = await accountBrowser(a.email);
    const csrfB = await accountCsrf(await accountBrowser(b.email));
    const change = { current_password: PASSWORD, new_password: 'a much longer fresh passphrase', repeat_password: 'a much longer fresh passphrase' };
    expect((await browserA.postForm(`${server.url}/account/password`, change)).status).toBe(403);
    expect((await browserA.postForm(`${server.url}/account/password`, { ...change, _csrf: csrfB })).status).toBe(403);
    expect((await browserA.postForm(`${server.url}/account/sign-out-everywhere`, { _csrf: csrfB })).status).toBe(403);
    // The password did not change.
    await accountBrowser(a.email);
    // A sign-in form posted from another site (login CSRF) starts no session.
    const crossSite = await new Browser().request(`${server.url}/account/login`, {
      method: 'POST', body: new URLSearchParams({ email: a.email, password: PASSWORD }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' },
    });
    expect(crossSite.status).toBe(403);
    expect(crossSite.headers.getSetCookie().join()).not.toContain('gatehouse_account=');
    // A browser without Fetch Metadata: Origin alone decides.
    const oldBrowser = await new Browser().request(`${server.url}/account/login`, {
      method: 'POST', body: new URLSearchParams({ email: a.email, password: PASSWORD }).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
    });
    expect(oldBrowser.status).toBe(403);
    // Our own pages' posts pass: same-origin, or Origin "null" (Referrer-Policy no-referrer), or this server's origin.
    const ownPosts: Array<Record<string, string>> = [{ 'sec-fetch-site': 'same-origin', origin: 'null' }, { origin: server.url }, { 'sec-fetch-site': 'same-origin', origin: server.url }];
    for (const headers of ownPosts) {
      const ok = await new Browser().request(`${server.url}/account/login`, {
        method: 'POST', body: new URLSearchParams({ email: a.email, password: PASSWORD }).toString(),
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
      });
      expect([headers, ok.status]).toEqual([headers, 303]);
    }
  });

  test('parallel password changes from one current password: exactly one wins', async () => {
    const u = await member();
    const browsers = await Promise.all([0, 1, 2, 3].map(() => accountBrowser(u.email)));
    const csrfs = await Promise.all(browsers.map(accountCsrf));
    const answers = await Promise.all(browsers.map((b, i) => b.postForm(`${server.url}/account/password`, {
      _csrf: csrfs[i], current_password: PASSWORD, new_password: `new passphrase number ${i} ok`, repeat_password: `new passphrase number ${i} ok`,
    })));
    expect(answers.filter((r) => r.status === 303)).toHaveLength(1);
  });

  test('a blocked user: the existing /account session ends, no sign-in, no enrolment', async () => {
    const u = await member();
    const browser = await accountBrowser(u.email);
    const csrf = await accountCsrf(browser);
    expect((await api(server, 'PATCH', `/api/users/${u.id}`, { token: admin.token, body: { is_blocked: true, block_reason: 'left' } })).status).toBe(200);
    expect((await browser.get(`${server.url}/account`)).status).toBe(302);
    expect((await browser.get(`${server.url}/account/mfa`)).status).toBe(302);
    expect((await browser.postForm(`${server.url}/account/mfa`, { _csrf: csrf, code: '123456' })).status).toBe(303);
    expect((await new Browser().postForm(`${server.url}/account/login`, { email: u.email, password: PASSWORD })).status).toBe(401);
    const [row] = await db().query('SELECT mfa_pending_secret, mfa_secret FROM users WHERE id = $1', [u.id]);
    expect(row.mfa_secret).toBeNull();
  });

  test('return addresses and the language link never lead off the site', async () => {
    const u = await member();
    for (const returnTo of ['//evil.example', 'https://evil.example', '/\\evil.example', '/account/..//evil.example', '/console/../..//evil.example', '/account\t//evil']) {
      const res = await new Browser().postForm(`${server.url}/account/login`, { email: u.email, password: PASSWORD, return_to: returnTo });
      expect(res.status).toBe(303);
      const to = new URL(res.headers.get('location')!, server.url);
      expect(to.origin).toBe(server.url);
      expect(res.headers.get('location')!.startsWith('//')).toBe(false);
    }
    // A raw request path that a URL parser reads as protocol-relative must not become the language link.
    for (const path of ['/.//evil.example/x', '/account/..//evil.example', '/password/setup/..//..//evil.example']) {
      const html = await rawGet(path);
      const href = /id="switch-language" href="([^"]+)"/.exec(html)?.[1];
      if (href) expect(unescape(href).startsWith('//')).toBe(false);
    }
  });

  test('post_logout_redirect_uri must be one registered, exactly', async () => {
    for (const uri of [`${LOGOUT}/`, `${LOGOUT}?x=1`, LOGOUT.toUpperCase(), 'https://mis.example.evil.example/logged-out', 'https://evil.example/logged-out', `${LOGOUT}#x`]) {
      const res = await fetch(`${server.url}/session/end?${new URLSearchParams({ client_id: clinic.id, post_logout_redirect_uri: uri })}`, { redirect: 'manual' });
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.headers.get('location')).toBeNull();
    }
  });
});

function rawGet(path: string): Promise<string> {
  const { hostname, port } = new URL(server.url);
  return new Promise((resolve, reject) => {
    http.get({ hostname, port, path, headers: { accept: 'text/html' } }, (res) => {
      let body = '';
      res.on('data', (c) => { body += c; });
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

describe('password setup links', () => {
  async function newLinkedUser() {
    const res = await api(server, 'POST', '/api/users', { token: admin.token, body: { email: `linked${++counter}@clinic.example`, memberships: [{ client_id: clinic.id, scopes: [] }] } });
    expect(res.status).toBe(201);
    const url = res.body.data.password_setup_url as string;
    secretsSeen.push(url.split('/').pop()!);
    return { id: res.body.data.id as string, path: new URL(url).pathname };
  }

  test('a blocked user cannot set a password through an old link', async () => {
    const u = await newLinkedUser();
    expect((await api(server, 'PATCH', `/api/users/${u.id}`, { token: admin.token, body: { is_blocked: true } })).status).toBe(200);
    expect((await fetch(`${server.url}${u.path}`)).status).toBe(410);
    const res = await new Browser().postForm(`${server.url}${u.path}`, { password: 'a long enough fresh phrase', password_confirmation: 'a long enough fresh phrase' });
    expect(res.status).toBe(410);
    expect((await api(server, 'GET', `/api/users/${u.id}`, { token: admin.token })).body.data.has_password).toBe(false);
  });

  test('a reset racing a post of the previous link: never a 5xx, and the reset has the last word', async () => {
    for (let round = 0; round < Number(process.env.RACE_ROUNDS ?? 15); round++) {
      const u = await newLinkedUser();
      const [reset, posted] = await Promise.all([
        api(server, 'POST', `/api/users/${u.id}/actions/reset_password`, { token: admin.token }),
        new Browser().postForm(`${server.url}${u.path}`, { password: 'racing fresh phrase ok', password_confirmation: 'racing fresh phrase ok' }),
      ]);
      expect([round, reset.status]).toEqual([round, 200]);
      expect([round, [303, 410].includes(posted.status)]).toEqual([round, true]);
      secretsSeen.push(reset.body.data.password_setup_url.split('/').pop());
      // The reset's own link still works afterwards: whichever came first, the reset has the last word.
      const after = await api(server, 'GET', `/api/users/${u.id}`, { token: admin.token });
      expect([round, after.body.data.has_password]).toEqual([round, false]);
    }
  });

  test('a link posted while a reset of its user is under way: no deadlock, no 5xx', async () => {
    const u = await newLinkedUser();
    const lockWaiters = async () => Number((await db().query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`))[0].n);
    const until = async (n: number) => { while (await lockWaiters() < n) await new Promise((r) => setTimeout(r, 20)); };
    // Another transaction holds the link's row, so the post's claim and the reset queue up behind it in that order.
    const holder = new pg.Client({ connectionString: server.databaseUrl });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query('SELECT 1 FROM password_setups WHERE user_id = $1 FOR UPDATE', [u.id]);
    const posted = new Browser().postForm(`${server.url}${u.path}`, { password: 'queued fresh phrase ok', password_confirmation: 'queued fresh phrase ok' });
    await until(1);
    const reset = api(server, 'POST', `/api/users/${u.id}/actions/reset_password`, { token: admin.token });
    await until(2);
    await holder.query('COMMIT');
    await holder.end();
    const [p, r] = await Promise.all([posted, reset]);
    expect(r.status).toBe(200);
    expect([303, 410]).toContain(p.status);
    secretsSeen.push(r.body.data.password_setup_url.split('/').pop());
    expect((await api(server, 'GET', `/api/users/${u.id}`, { token: admin.token })).body.data.has_password).toBe(false);
  });

  test('parallel posts of one link: one sets the password, the rest get 410', async () => {
    const u = await newLinkedUser();
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => new Browser().postForm(`${server.url}${u.path}`, {
      password: `parallel fresh phrase ${i}`, password_confirmation: `parallel fresh phrase ${i}`,
    })));
    expect(answers.filter((r) => r.status === 303)).toHaveLength(1);
    expect(answers.filter((r) => r.status === 410)).toHaveLength(9);
  });
});

describe('/api/users', () => {
  test('200 parallel creates of one email (any case): one 201, the rest 409', async () => {
    const email = `race${++counter}@clinic.example`;
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => api(server, 'POST', '/api/users', {
      token: admin.token, body: { email: i % 2 ? email.toUpperCase() : email },
    })));
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(199);
    for (const a of answers) if (a.status === 201) secretsSeen.push(a.body.data.password_setup_url.split('/').pop());
  });

  test('membership and user changes racing each other: never a 5xx', async () => {
    const other = await createClient(server, { name: 'Other', client_type: 'MSP' });
    for (let round = 0; round < Number(process.env.RACE_ROUNDS ?? 20); round++) {
      const u = await member(['client:read']);
      const t = { token: admin.token };
      const answers = await Promise.all([
        api(server, 'PUT', `/api/users/${u.id}/memberships/${clinic.id}`, { ...t, body: { scopes: [] } }),
        api(server, 'PUT', `/api/users/${u.id}/memberships/${other.id}`, { ...t, body: { scopes: ['client:read'] } }),
        api(server, 'DELETE', `/api/users/${u.id}/memberships/${clinic.id}`, t),
        api(server, 'PATCH', `/api/users/${u.id}`, { ...t, body: { is_blocked: true } }),
        api(server, 'POST', `/api/users/${u.id}/actions/reset_password`, t),
        api(server, 'DELETE', `/api/users/${u.id}`, t),
      ]);
      for (const a of answers) {
        expect([round, a.status < 500, a.text.slice(0, 80)]).toEqual([round, true, a.text.slice(0, 80)]);
        if (a.body?.data?.password_setup_url) secretsSeen.push(a.body.data.password_setup_url.split('/').pop());
      }
    }
  });

  test("a non-ADMIN client's token neither sees nor changes other clients' members", async () => {
    const msp = await callerOfType(server, 'MSP', { permissions: ['user:read', 'user:write'] });
    const own = await createUser(server, { email: `own${++counter}@msp.example`, memberships: [{ client_id: msp.client.id, scopes: [] }, { client_id: clinic.id, scopes: [] }] });
    const stranger = await member();
    const forbidden = { error: { type: 'forbidden', message: 'forbidden' } };
    const t = { token: msp.token };
    const expectForbidden = async (method: string, path: string, body?: unknown) => {
      const res = await api(server, method, path, { ...t, body });
      expect([path, res.status, res.body]).toEqual([path, 403, forbidden]);
    };
    await expectForbidden('GET', `/api/users/${stranger.id}`);
    await expectForbidden('GET', `/api/users/${stranger.id}/grants`);
    await expectForbidden('PUT', `/api/users/${own.id}/memberships/${clinic.id}`, { scopes: [] });
    await expectForbidden('DELETE', `/api/users/${own.id}/memberships/${clinic.id}`);
    await expectForbidden('DELETE', `/api/users/${stranger.id}/memberships/${clinic.id}`);
    await expectForbidden('DELETE', `/api/users/${stranger.id}/grants/${clinic.id}`);
    await expectForbidden('PATCH', `/api/users/${own.id}`, { is_blocked: true });
    await expectForbidden('DELETE', `/api/users/${own.id}/mfa`);
    await expectForbidden('POST', `/api/users/${own.id}/actions/reset_password`);
    await expectForbidden('POST', '/api/users', { email: `new${counter}@msp.example` });
    const seen = await api(server, 'GET', `/api/users/${own.id}`, t);
    expect(seen.body.data.memberships).toEqual([{ client_id: msp.client.id, scopes: [] }]);
    const list = await api(server, 'GET', `/api/users?client_id=${clinic.id}`, t);
    expect(list.status).toBe(200);
    expect(list.body.data.every((u: { memberships: Array<{ client_id: string }> }) => u.memberships.every((m) => m.client_id === msp.client.id))).toBe(true);
    expect(list.body.data.map((u: { id: string }) => u.id)).not.toContain(stranger.id);
    // Nothing changed for the clinic membership.
    expect((await api(server, 'GET', `/api/users/${own.id}`, { token: admin.token })).body.data.memberships).toHaveLength(2);
  });

  test('a removed membership: no code through an existing browser session and grant, no refresh', async () => {
    const u = await member();
    const rp = await relyingParty(server.url, clinic.id, conn.secret);
    const first = await authorize(rp, server.url, { redirectUri: REDIRECT, scope: 'openid offline_access', prompt: 'consent', email: u.email });
    const tokens = await oidc.authorizationCodeGrant(rp, first.callbackUrl, { pkceCodeVerifier: first.verifier, expectedState: first.state });
    expect(tokens.refresh_token).toBeTruthy();
    expect((await api(server, 'DELETE', `/api/users/${u.id}/memberships/${clinic.id}`, { token: admin.token })).status).toBe(204);
    const again = await authorize(rp, server.url, { redirectUri: REDIRECT, scope: 'openid', email: u.email, browser: first.browser });
    expect(again.callbackUrl.searchParams.get('error')).toBe('access_denied');
    expect(again.callbackUrl.searchParams.get('code')).toBeNull();
    const refresh = await tokenRequest(server.url, { grant_type: 'refresh_token', refresh_token: tokens.refresh_token! }, [clinic.id, conn.secret]);
    expect(refresh.status).toBe(400);
    expect(refresh.body.error).toBe('invalid_grant');
  });
});

test('parallel DELETE membership vs refresh: the DELETE answers 204 (no deadlock, no 500) and nothing issued survives', async () => {
  const rp = await relyingParty(server.url, clinic.id, conn.secret);
  for (let round = 0; round < 3; round++) {
    const u = await member(['client:read']);
    const chains: string[] = [];
    for (let i = 0; i < 8; i++) {
      const a = await authorize(rp, server.url, { redirectUri: REDIRECT, scope: 'openid offline_access client:read', prompt: 'consent', email: u.email });
      chains.push((await oidc.authorizationCodeGrant(rp, a.callbackUrl, { pkceCodeVerifier: a.verifier, expectedState: a.state })).refresh_token!);
    }
    const [removed, ...refreshed] = await Promise.all([
      api(server, 'DELETE', `/api/users/${u.id}/memberships/${clinic.id}`, { token: admin.token }),
      ...chains.map((rt) => tokenRequest(server.url, { grant_type: 'refresh_token', refresh_token: rt }, [clinic.id, conn.secret])),
    ]);
    expect([round, removed.status]).toEqual([round, 204]);
    for (const r of refreshed) expect([200, 400]).toContain(r.status);
    const [left] = await db().query(`SELECT count(*)::int AS n FROM oidc_payloads WHERE account_id = $1 AND client_id = $2 AND model <> 'Session'`, [u.id, clinic.id]);
    expect(left.n).toBe(0);
  }
});

describe('hostile input on the new routes: a 4xx, never a 5xx, nothing changed', () => {
  test('API, pages and forms', async () => {
    const u = await member();
    const browser = await accountBrowser(u.email);
    const csrf = await accountCsrf(browser);
    const before = await db().query('SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM memberships) AS m, (SELECT max(updated_at) FROM users) AS upd');
    const deep = `${'{"a":'.repeat(40)}1${'}'.repeat(40)}`;
    const t = admin.token;
    const apiCases: Array<[string, string, unknown?]> = [
      ['POST', '/api/users', { email: 'nul\u0000@x.example' }],
      ['POST', '/api/users', '{"email":"s@x.example","name":"\\ud800"}'],
      ['POST', '/api/users', deep],
      ['POST', '/api/users', { email: 'big@x.example', name: 'x'.repeat(2_000_000) }],
      ['POST', '/api/users', { email: 5 }],
      ['POST', '/api/users', { email: 'types@x.example', memberships: 'all' }],
      ['POST', '/api/users', { email: 'types@x.example', memberships: [{ client_id: clinic.id, scopes: [{}] }] }],
      ['POST', '/api/users', { email: 'extra@x.example', password: 'x' }],
      ['POST', '/api/users', '[]'],
      ['POST', '/api/users', 'null'],
      ['GET', '/api/users?foo=1'],
      ['GET', '/api/users?email=%ZZ'],
      ['GET', '/api/users?email=%00'],
      ['GET', `/api/users/${u.id}%00`],
      ['GET', '/api/users/not-a-uuid'],
      ['PATCH', `/api/users/${u.id}`, { name: 'a\u0000b' }],
      ['PATCH', `/api/users/${u.id}`, { is_blocked: 'yes' }],
      ['PATCH', `/api/users/${u.id}?x=1`, { name: 'x' }],
      ['PUT', `/api/users/${u.id}/memberships/${clinic.id}`, { scopes: ['\u0000'] }],
      ['PUT', `/api/users/${u.id}/memberships/${clinic.id}`, { scopes: 'client:read' }],
      ['PUT', `/api/users/${u.id}/memberships/%ED%A0%80`, { scopes: [] }],
      ['DELETE', `/api/users/${u.id}/mfa?x=1`],
      ['DELETE', '/api/users/%00/mfa'],
      ['POST', `/api/users/${u.id}/actions/reset_password?x=1`],
      ['POST', `/api/users/${u.id}/actions/unlock`, { x: 1 }],
      ['GET', `/api/users/${u.id}/grants?page=0`],
      ['GET', `/api/users/${u.id}/grants?page_size=100000`],
      ['DELETE', `/api/users/${u.id}/grants/%ZZ`],
    ];
    for (const [method, path, body] of apiCases) {
      const res = await api(server, method, path, { token: t, body });
      expect([method, path, res.status]).toEqual([method, path, expect.any(Number)]);
      expect([method, path, res.status >= 400 && res.status < 500]).toEqual([method, path, true]);
      expect(res.body?.error?.type).toEqual(expect.any(String));
    }
    const form = (b: Browser, path: string, raw: string) => b.request(`${server.url}${path}`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: raw,
    });
    const pageCases: Array<[Browser, string, string]> = [
      [new Browser(), '/account/login', 'email=a%00b&password=x'],
      [new Browser(), '/account/login', 'email=%ED%A0%80&password=x'],
      [new Browser(), '/account/login', 'email=%ZZ&password=x'],
      [new Browser(), '/account/login', `email=${'a'.repeat(100_000)}&password=x`],
      [new Browser(), '/account/login/second-factor', 'challenge=%00&code=123456'],
      [new Browser(), '/account/login/second-factor', 'challenge[a]=1&code[]=1'],
      [browser, '/account/password', `_csrf=${encodeURIComponent(csrf)}&current_password=%00&new_password=x&repeat_password=x`],
      [browser, '/account/password', `_csrf=${encodeURIComponent(csrf)}&current_password=%ED%A0%80&new_password=%ED%A0%80&repeat_password=%ED%A0%80`],
      [browser, '/account/mfa', `_csrf=${encodeURIComponent(csrf)}&code=%00`],
      [browser, '/account/grants/revoke', `_csrf=${encodeURIComponent(csrf)}&client_id=%00`],
      [new Browser(), '/password/setup/%00', 'password=x&password_confirmation=x'],
      [new Browser(), `/password/setup/${'A'.repeat(43)}`, 'password=%00&password_confirmation=%00'],
      [new Browser(), '/password/setup/%ED%A0%80', 'password=x'],
      [new Browser(), '/interaction/%00/second-factor', 'challenge=x&code=1'],
      [new Browser(), '/interaction/nope/second-factor', 'challenge=x&code=1'],
    ];
    for (const [b, path, raw] of pageCases) {
      const res = await form(b, path, raw);
      expect([path, raw.slice(0, 60), res.status >= 400 && res.status < 500]).toEqual([path, raw.slice(0, 60), true]);
    }
    for (const path of ['/account?ui_locales=%00', '/account/mfa?return_to=%ED%A0%80', '/password/setup/%ZZ', '/account/login?return_to=%00', '/account/login?ui_locales[x]=1']) {
      const res = await browser.get(`${server.url}${path}`);
      expect([path, res.status < 500]).toEqual([path, true]);
    }
    const after = await db().query('SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM memberships) AS m, (SELECT max(updated_at) FROM users) AS upd');
    expect(after).toEqual(before);
  });
});

describe('ADMIN_MFA=required cannot be skipped', () => {
  test('straight to /console, to a callback, or back after the password step', async () => {
    const other = await startServer({ env: { ADMIN_MFA: 'required' } });
    try {
      const email = 'admin@ministry.example';
      await bootstrapAdmin(other.gatehouse.db.dataSource.manager, other.gatehouse.secrets, other.url, email, PASSWORD);
      const browser = new Browser();
      const go = async (res: Response) => {
        let r = res;
        for (let i = 0; i < 12 && (r.status === 302 || r.status === 303); i++) r = await browser.get(new URL(r.headers.get('location')!, other.url).href);
        return r;
      };
      const login = await go(await browser.get(`${other.url}/console`));
      const action = field(await login.text(), /action="([^"]*\/login)"/);
      const enrolPage = await go(await browser.postForm(new URL(action, other.url).href, { email, password: PASSWORD }));
      expect(new URL(enrolPage.url).pathname).toBe('/account/mfa');
      // The browser now holds a session at the authorization server: every way back to the console leads to enrolment.
      for (const path of ['/console', '/console/clients', '/console/users', '/console/login?return_to=/console/users']) {
        const r = await go(await browser.get(`${other.url}${path}`));
        expect([path, new URL(r.url).pathname]).toEqual([path, '/account/mfa']);
      }
      const fake = await browser.get(`${other.url}/console/callback?code=abc&state=def`);
      expect(fake.status).toBe(400);
      expect(fake.headers.getSetCookie().join()).not.toContain('gatehouse_console=');
    } finally {
      await other.stop();
    }
  }, 60_000);
});

test('ADMIN_MFA=required: a console session whose user no longer has a second factor lets nothing in', async () => {
  const other = await startServer({ env: { ADMIN_MFA: 'required' } });
  try {
    const email = 'admin2@ministry.example';
    await bootstrapAdmin(other.gatehouse.db.dataSource.manager, other.gatehouse.secrets, other.url, email, PASSWORD);
    const browser = new Browser();
    const go = async (res: Response) => {
      let r = res;
      for (let i = 0; i < 12 && (r.status === 302 || r.status === 303); i++) r = await browser.get(new URL(r.headers.get('location')!, other.url).href);
      return r;
    };
    // Enrol on /account first, then sign in to the console with the password and a code.
    const account = await browser.postForm(`${other.url}/account/login`, { email, password: PASSWORD });
    expect(account.status).toBe(303);
    const enrolHtml = await (await browser.get(`${other.url}/account/mfa`)).text();
    const key = field(enrolHtml, /<code id="mfa-key" class="key">([^<]+)<\/code>/).replace(/\s/g, '');
    expect((await browser.postForm(`${other.url}/account/mfa`, { _csrf: csrfOf(enrolHtml), code: currentCode(key) })).status).toBe(200);
    const login = await go(await browser.get(`${other.url}/console`));
    const action = field(await login.text(), /action="([^"]*\/login)"/);
    const codePage = await browser.postForm(new URL(action, other.url).href, { email, password: PASSWORD });
    const codeHtml = await codePage.text();
    const inside = await go(await browser.postForm(new URL(field(codeHtml, /<form method="post" action="([^"]+second-factor)"/), other.url).href, {
      challenge: field(codeHtml, /name="challenge" value="([^"]+)"/), code: nextCode(key),
    }));
    expect(inside.status).toBe(200);
    expect(new URL(inside.url).pathname).toMatch(/^\/console\//);
    const [row] = await other.gatehouse.db.dataSource.manager.query('SELECT id FROM users WHERE email = $1', [email]);
    const operator = await callerOfType(other, 'ADMIN');
    expect((await api(other, 'DELETE', `/api/users/${row.id}/mfa`, { token: operator.token })).status).toBe(204);
    // The console session from before is not a way around enrolment.
    const after = await browser.get(`${other.url}/console/users`);
    expect(after.status).not.toBe(200);
    expect(new URL(after.headers.get('location') ?? '/', other.url).pathname).not.toMatch(/^\/console\/users/);
  } finally {
    await other.stop();
  }
}, 60_000);

describe('console forms', () => {
  test('hostile bytes, bad redirect URIs, no token or a cross-site post: a 4xx, nothing changed', async () => {
    await bootstrapAdmin(db(), server.gatehouse.secrets, server.url, 'console-admin@ministry.example', PASSWORD);
    const { browser } = await consoleSignIn(server.url, 'console-admin@ministry.example');
    const newUser = await browser.get(`${server.url}/console/users/new`);
    expect(newUser.status).toBe(200);
    const csrf = encodeURIComponent(csrfOf(await newUser.text()));
    const target = await member(['client:read']);
    const snapshot = () => db().query(`SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM memberships) AS memberships,
      (SELECT count(*) FROM clients) AS clients, (SELECT count(*) FROM connections) AS connections, (SELECT count(*) FROM permissions) AS permissions,
      (SELECT max(updated_at) FROM users) AS u, (SELECT max(updated_at) FROM clients) AS c, (SELECT max(updated_at) FROM connections) AS k,
      (SELECT count(*) FROM password_setups) AS links`);
    const before = await snapshot();
    const id = target.id;
    const cases: Array<[string, string]> = [
      ['/console/users', 'email=nul%00%40x.example&name=x'],
      ['/console/users', 'email=%ED%A0%80%40x.example'],
      ['/console/users', 'email=%ZZ'],
      ['/console/users', `email=big%40x.example&name=${'x'.repeat(20_000)}`],
      ['/console/users', 'email[]=a%40x.example'],
      [`/console/users/${id}/block`, 'block_reason=%00'],
      [`/console/users/${id}/block`, `block_reason=${'x'.repeat(5000)}`],
      [`/console/users/${id}/memberships`, `client_id=%00&permissions=client%3Aread`],
      [`/console/users/${id}/memberships`, `client_id=${clinic.id}&permissions=%ED%A0%80`],
      [`/console/users/${id}/memberships/${clinic.id}`, 'permissions=nope%3Anope'],
      [`/console/users/${id}/grants/%00/revoke`, ''],
      [`/console/users/%00/reset_password`, ''],
      [`/console/users/not-a-uuid/delete`, ''],
      ['/console/permissions', 'name=a%00%3Ab&description=x'],
      ['/console/permissions', 'name=ok%3Aname&description=%ED%A0%80'],
      ['/console/clients', 'name=%00&client_type=MSP'],
      ['/console/clients', 'name=Evil&client_type=ROOT'],
      [`/console/clients/${clinic.id}/connections`, `consumer_id=${mis.id}&redirect_uri=javascript%3Aalert(1)`],
      [`/console/clients/${clinic.id}/connections`, `consumer_id=${mis.id}&redirect_uri=http%3A%2F%2Fevil.example%2Fcb`],
      [`/console/clients/${clinic.id}/connections`, `consumer_id=${mis.id}&redirect_uri=https%3A%2F%2Fa.example%2Fcb%23frag`],
      [`/console/clients/${clinic.id}/connections`, `consumer_id=%00&redirect_uri=https%3A%2F%2Fa.example%2Fcb`],
      [`/console/clients/${clinic.id}/connections/${conn.id}`, 'redirect_uri=https%3A%2F%2Fa.example%2F%00'],
    ];
    for (const [path, body] of cases) {
      const res = await browser.request(`${server.url}${path}`, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `_csrf=${csrf}&${body}`,
      });
      expect([path, body.slice(0, 50), res.status >= 400 && res.status < 500]).toEqual([path, body.slice(0, 50), true]);
    }
    // The same change without the token, with another session's, or posted from another site changes nothing either.
    const block = `/console/users/${id}/block`;
    expect((await browser.postForm(`${server.url}${block}`, { block_reason: 'x' })).status).toBe(403);
    const crossSite = await browser.request(`${server.url}${block}`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'cross-site' }, body: `_csrf=${csrf}&block_reason=x`,
    });
    expect(crossSite.status).toBe(403);
    expect(await snapshot()).toEqual(before);
    // The control: the same session and token do change things when the form is right.
    expect((await browser.request(`${server.url}${block}`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin' }, body: `_csrf=${csrf}&block_reason=control`,
    })).status).toBe(303);
    expect(await snapshot()).not.toEqual(before);
  }, 60_000);
});

describe('metrics', () => {
  test('/metrics is not on the public listener, and raw paths never become labels', async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
    for (let i = 0; i < 5; i++) await fetch(`${server.url}/no-such-page-${i}`);
    await fetch(`${server.url}/password/setup/${'B'.repeat(43)}`);
    const res = await fetch(`${server.internalUrl}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    logged.push(text); // grepped for secrets with the logs below
    expect(text).not.toContain('no-such-page');
    expect(text).not.toContain('B'.repeat(43));
    expect(text).toContain('route="/password/setup/:token"');
  });
});

test('no setup token, TOTP key or recovery code in the logs or the audit details', async () => {
  expect(secretsSeen.length).toBeGreaterThan(10);
  expect(logged.length).toBeGreaterThan(50);
  const text = logged.join('');
  const details: Array<{ d: string }> = await db().query('SELECT coalesce(details::text, \'\') AS d FROM audit_events');
  const audit = details.map((r) => r.d).join('\n');
  for (const s of secretsSeen) {
    expect([s, text.includes(s)]).toEqual([s, false]);
    expect([s, audit.includes(s)]).toEqual([s, false]);
  }
  expect(text).not.toContain(PASSWORD);
  expect(audit).not.toContain(PASSWORD);
});
