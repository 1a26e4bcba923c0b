// What a reverse proxy, a cache or a framing page can do to Gatehouse (issue 10 items 6, 8, 9; CONTRACT §1 "URLs in
// responses", TRUST_PROXY; §3 "Pages"): URLs come from ISSUER, not Host; the client's address comes from
// X-Forwarded-For only behind TRUST_PROXY hops; pages cannot be framed and load nothing from elsewhere; cookies are
// Secure when ISSUER is https.
import { createClient, createUser, putConnection } from './support/internal.js';
import { Browser } from './support/oauth.js';
import { startServer, type TestServer } from './support/server.js';

async function interactionUrl(server: TestServer, clientId: string, redirectUri: string, browser = new Browser()): Promise<string> {
  const auth = new URL(`${server.url}/auth`);
  auth.search = new URLSearchParams({
    client_id: clientId, redirect_uri: redirectUri, response_type: 'code', scope: 'openid',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
  }).toString();
  const res = await browser.get(auth.href);
  return new URL(res.headers.get('location')!, server.url).href;
}

describe('behind no proxy (TRUST_PROXY=0)', () => {
  let server: TestServer;
  let clinic: { id: string };
  const redirectUri = 'https://mis.example/cb';

  beforeAll(async () => {
    server = await startServer();
    clinic = await createClient(server, { name: 'Clinic', client_type: 'MSP' });
    const mis = await createClient(server, { name: 'MIS', client_type: 'MIS' });
    await putConnection(server, clinic.id, { consumer_id: mis.id, redirect_uri: redirectUri });
    await createUser(server, { email: 'nurse@clinic.example', memberships: [{ client_id: clinic.id, scopes: [] }] });
  });
  afterAll(() => server?.stop());

  test('discovery names ISSUER, whatever Host and X-Forwarded-* say', async () => {
    const forged: Array<Record<string, string>> = [{ host: 'evil.example' }, { host: 'evil.example:444', 'x-forwarded-host': 'evil.example', 'x-forwarded-proto': 'https' }];
    for (const headers of forged) {
      const res = await fetch(`${server.gatehouse.publicUrl}/.well-known/openid-configuration`, { headers });
      const doc = await res.json() as Record<string, string>;
      expect(doc.issuer).toBe(server.url);
      for (const key of ['authorization_endpoint', 'token_endpoint', 'jwks_uri', 'userinfo_endpoint', 'end_session_endpoint', 'introspection_endpoint', 'revocation_endpoint']) {
        expect(doc[key].startsWith(`${server.url}/`)).toBe(true);
      }
    }
  });

  test('the login page cannot be framed and loads nothing from another origin', async () => {
    const browser = new Browser();
    const res = await browser.get(await interactionUrl(server, clinic.id, redirectUri, browser));
    expect(res.status).toBe(200);
    const csp = res.headers.get('content-security-policy')!;
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'self'");
    expect(csp).toMatch(/form-action 'self' https:\/\/mis\.example/);
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    const html = await res.text();
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    const css = await fetch(`${server.url}/assets/pages.css`);
    expect(css.status).toBe(200);
  });

  test('error pages and the console carry the same protection', async () => {
    for (const path of ['/auth?client_id=nobody', '/console/login', '/interaction/nope']) {
      const res = await fetch(`${server.url}${path}`, { redirect: 'manual' });
      if (res.status < 300 || res.status >= 400) expect(res.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    }
  });

  test('X-Forwarded-For is not believed: fifty failures under forged addresses still count against the real one', async () => {
    const browser = new Browser();
    const login = (await interactionUrl(server, clinic.id, redirectUri, browser)).replace(/\/?$/, '/login');
    let last = 0;
    for (let i = 0; i < 6; i++) {
      const res = await browser.request(login, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': `198.51.100.${i}` },
        body: new URLSearchParams({ email: 'nurse@clinic.example', password: 'wrong' }).toString(),
      });
      last = res.status;
    }
    expect(last).toBe(429);
  });
});

describe('behind one trusted proxy (TRUST_PROXY=1)', () => {
  let server: TestServer;
  let clinic: { id: string };
  const redirectUri = 'https://mis.example/cb';

  beforeAll(async () => {
    server = await startServer({ env: { TRUST_PROXY: '1' } });
    clinic = await createClient(server, { name: 'Clinic', client_type: 'MSP' });
    const mis = await createClient(server, { name: 'MIS', client_type: 'MIS' });
    await putConnection(server, clinic.id, { consumer_id: mis.id, redirect_uri: redirectUri });
    await createUser(server, { email: 'nurse@clinic.example', memberships: [{ client_id: clinic.id, scopes: [] }] });
  });
  afterAll(() => server?.stop());

  async function failFrom(forwardedFor: string, times: number): Promise<number> {
    let status = 0;
    for (let i = 0; i < times; i++) {
      const browser = new Browser();
      const login = `${await interactionUrl(server, clinic.id, redirectUri, browser)}/login`;
      const res = await browser.request(login, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': forwardedFor },
        body: new URLSearchParams({ email: 'nurse@clinic.example', password: 'wrong' }).toString(),
      });
      status = res.status;
    }
    return status;
  }

  test('the client address is the last X-Forwarded-For entry: one attacker does not lock out everyone behind the proxy', async () => {
    // The proxy appends the address it saw; what the client put before it is not believed.
    expect(await failFrom('10.9.9.9, 203.0.113.7', 6)).toBe(429);
    expect(await failFrom('203.0.113.7, 203.0.113.8', 1)).toBe(401);
  });

  test('the audit log records the address after TRUST_PROXY', async () => {
    const rows = await server.gatehouse.db.dataSource.query(
      `SELECT details FROM audit_events WHERE action = 'user.sign_in_failed' ORDER BY inserted_at DESC LIMIT 1`,
    );
    expect(rows[0].details).toMatchObject({ email: 'nurse@clinic.example', client_address: '203.0.113.8' });
    expect(JSON.stringify(rows[0].details)).not.toMatch(/wrong/);
  });
});

describe('ISSUER on https (TLS at a proxy)', () => {
  let server: TestServer;
  beforeAll(async () => (server = await startServer({ env: { ISSUER: 'https://login.gatehouse.test' } })));
  afterAll(() => server?.stop());

  test('cookies are Secure', async () => {
    const clinic = await createClient(server, { name: 'Clinic', client_type: 'MSP' });
    const mis = await createClient(server, { name: 'MIS', client_type: 'MIS' });
    await putConnection(server, clinic.id, { consumer_id: mis.id, redirect_uri: 'https://mis.example/cb' });
    const auth = new URL(`${server.gatehouse.publicUrl}/auth`);
    auth.search = new URLSearchParams({
      client_id: clinic.id, redirect_uri: 'https://mis.example/cb', response_type: 'code', scope: 'openid',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
    }).toString();
    const res = await fetch(auth, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(/^\/interaction\//);
    const cookies = res.headers.getSetCookie();
    expect(cookies.length).toBeGreaterThan(0);
    for (const cookie of cookies) expect(cookie).toMatch(/;\s*secure/i);
    const login = await fetch(`${server.gatehouse.publicUrl}/console/login`, { redirect: 'manual', headers: { host: 'login.gatehouse.test' } });
    for (const cookie of login.headers.getSetCookie()) expect(cookie).toMatch(/;\s*secure/i);
  });
});
