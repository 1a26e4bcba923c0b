// CONTRACT §8 password setup links: `${ISSUER}/password/setup/<token>`, single use, valid 72 hours; the page says
// which rule a refused password broke; a used or expired link is a 410 page. A user without a password cannot sign in.
import pg from 'pg';
import { api, callerOfType, type ApiCaller } from './support/api.js';
import { createClient, putConnection, type TestClient, type TestConnection } from './support/internal.js';
import { authorize, relyingParty } from './support/oauth.js';
import { startServer, type TestServer } from './support/server.js';

let server: TestServer;
let admin: ApiCaller;
let clinic: TestClient;
let conn: TestConnection;
const REDIRECT = 'https://mis.example/callback';
const GOOD = 'violet-kettle-orbit-42';

beforeAll(async () => {
  server = await startServer();
  admin = await callerOfType(server, 'ADMIN');
  clinic = await createClient(server, { name: 'Clinic', client_type: 'MSP' });
  const mis = await createClient(server, { name: 'MIS', client_type: 'MIS' });
  conn = await putConnection(server, clinic.id, { consumer_id: mis.id, redirect_uri: REDIRECT });
});

afterAll(() => server?.stop());

let n = 0;
async function newUser() {
  const email = `nurse.kovalenko${++n}@clinic.example`;
  const res = await api(server, 'POST', '/api/users', { token: admin.token, body: { email, memberships: [{ client_id: clinic.id, scopes: [] }] } });
  expect(res.status).toBe(201);
  return { id: res.body.data.id as string, email, url: res.body.data.password_setup_url as string };
}

function post(url: string, password: string, confirmation = password) {
  return fetch(url, {
    method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'en' },
    body: new URLSearchParams({ password, password_confirmation: confirmation }).toString(),
  });
}

async function canSignIn(email: string, password: string): Promise<boolean> {
  const rp = await relyingParty(server.url, clinic.id, conn.secret);
  const result = await authorize(rp, server.url, { redirectUri: REDIRECT, scope: 'openid', email, password }).catch(() => null);
  return !!result?.callbackUrl.searchParams.get('code');
}

test('the page shows a form for the user; a user without a password cannot sign in yet', async () => {
  const u = await newUser();
  const page = await fetch(u.url);
  expect(page.status).toBe(200);
  expect(page.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  const html = await page.text();
  expect(html).toContain(u.email);
  expect(html).toMatch(/name="password"/);
  expect(html).toMatch(/name="password_confirmation"/);
  expect(await canSignIn(u.email, GOOD)).toBe(false);
});

test.each([
  ['too_short', 'short-pass1', /at least 12 characters/],
  ['contains_email', 'nurse.kovalenko1-is-me!', /email address/],
  ['common', 'password1234', /too common/],
  ['common', '1q2w3e4r5t6y', /too common/],
])('a password breaking %s is refused and the page says which rule', async (rule, password, message) => {
  const u = await newUser();
  const res = await post(u.url, password.replace('nurse.kovalenko1', u.email.split('@')[0]));
  expect(res.status).toBe(422);
  const html = await res.text();
  expect(html).toContain(`data-rule="${rule}"`);
  expect(html).toMatch(message);
  // Nothing changed: the link still works and the user still has no password.
  expect((await fetch(u.url)).status).toBe(200);
  expect((await api(server, 'GET', `/api/users/${u.id}`, { token: admin.token })).body.data.has_password).toBe(false);
});

test('the page is Ukrainian by default and English when asked, and a refusal keeps the language (CONTRACT §11)', async () => {
  const u = await newUser();
  const uk = await (await fetch(u.url)).text();
  expect(uk).toContain('<html lang="uk"');
  expect(uk).toContain('Встановіть пароль');
  const en = await (await fetch(`${u.url}?ui_locales=en`)).text();
  expect(en).toContain('<html lang="en"');
  expect(en).toContain('Set your password');
  expect(en).toContain(`href="${new URL(u.url).pathname}?ui_locales=uk"`);
  const refused = await fetch(`${u.url}?ui_locales=uk`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'en' },
    body: new URLSearchParams({ password: 'short', password_confirmation: 'short' }).toString(),
  });
  expect(refused.status).toBe(422);
  expect(await refused.text()).toContain('Пароль закороткий');
});

test('the two passwords must match', async () => {
  const u = await newUser();
  const res = await post(u.url, GOOD, `${GOOD}x`);
  expect(res.status).toBe(422);
  expect(await res.text()).toContain('data-rule="mismatch"');
});

test('a good password is set once: 303 to a page that says so, the link is then 410, and the user signs in', async () => {
  const u = await newUser();
  const res = await post(u.url, GOOD);
  expect(res.status).toBe(303);
  expect(res.headers.get('location')).toBe('/password/done?ui_locales=en');
  expect((await fetch(`${server.url}/password/done?ui_locales=en`)).status).toBe(200);
  const used = await fetch(u.url, { headers: { 'accept-language': 'en' } });
  expect(used.status).toBe(410);
  expect(await used.text()).toMatch(/already used or has expired/);
  expect((await post(u.url, 'another-good-password-7')).status).toBe(410);
  expect(await canSignIn(u.email, GOOD)).toBe(true);
  expect(await canSignIn(u.email, 'another-good-password-7')).toBe(false);
  const user = await api(server, 'GET', `/api/users/${u.id}`, { token: admin.token });
  expect(user.body.data.has_password).toBe(true);
  const audit = await api(server, 'GET', `/api/audit_events?target_id=${u.id}&action=user.password_set`, { token: admin.token });
  expect(audit.body.data).toHaveLength(1);
  expect(audit.body.data[0]).toMatchObject({ actor_type: 'user', actor_id: u.id });
  expect(JSON.stringify(audit.body.data)).not.toContain(GOOD);
});

test('concurrent posts of one link set the password once', async () => {
  const u = await newUser();
  const results = await Promise.all(Array.from({ length: 8 }, (_, i) => post(u.url, `${GOOD}-${i}`)));
  expect(results.filter((r) => r.status === 303)).toHaveLength(1);
  expect(results.filter((r) => r.status === 410)).toHaveLength(7);
});

test('a link past its 72 hours is 410; an unknown or malformed link is 410 too', async () => {
  const u = await newUser();
  const db = new pg.Client({ connectionString: server.databaseUrl });
  await db.connect();
  try {
    const rows = await db.query('SELECT expires_at - inserted_at AS ttl FROM password_setups WHERE user_id = $1', [u.id]);
    expect(rows.rows[0].ttl).toMatchObject({ days: 3 });
    await db.query(`UPDATE password_setups SET expires_at = now() - interval '1 second' WHERE user_id = $1`, [u.id]);
  } finally {
    await db.end();
  }
  expect((await fetch(u.url)).status).toBe(410);
  expect((await post(u.url, GOOD)).status).toBe(410);
  expect((await fetch(`${server.url}/password/setup/${'A'.repeat(43)}`)).status).toBe(410);
  expect((await fetch(`${server.url}/password/setup/short`)).status).toBe(410);
});

test('no response or table holds the token itself', async () => {
  const u = await newUser();
  const token = u.url.split('/').pop()!;
  const db = new pg.Client({ connectionString: server.databaseUrl });
  await db.connect();
  try {
    const rows = await db.query('SELECT token_hash FROM password_setups WHERE user_id = $1', [u.id]);
    expect(rows.rows[0].token_hash).not.toBe(token);
    const audit = await db.query(`SELECT count(*)::int AS n FROM audit_events WHERE details::text LIKE '%' || $1 || '%'`, [token]);
    expect(audit.rows[0].n).toBe(0);
  } finally {
    await db.end();
  }
});

test('hostile text in the form or the path is a 4xx page and changes nothing', async () => {
  const u = await newUser();
  const nul = await fetch(u.url, {
    method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'en' },
    body: `password=${encodeURIComponent(GOOD)}%00&password_confirmation=${encodeURIComponent(GOOD)}%00`,
  });
  expect(nul.status).toBeGreaterThanOrEqual(400);
  expect(nul.status).toBeLessThan(500);
  const json = await fetch(u.url, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/json' }, body: '{}' });
  expect(json.status).toBe(415);
  expect((await fetch(`${server.url}/password/setup/%E0%A4%A`)).status).toBeLessThan(500);
  expect((await fetch(u.url)).status).toBe(200);
  expect((await api(server, 'GET', `/api/users/${u.id}`, { token: admin.token })).body.data.has_password).toBe(false);
});
