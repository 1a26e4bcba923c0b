// The console cannot lock itself out (issue 9, CONTRACT §6 console:repair, §7): its connection follows ISSUER at
// every start, cannot be refreshed, deleted or re-pointed through /api, the console or the internal listener, is
// restored by `console:repair`, and the console is served on ISSUER's origin only.
import { api, callerOfType } from './support/api.js';
import { consoleSignIn } from './support/consoleFetch.js';
import { PASSWORD, call } from './support/internal.js';
import { runCli } from './support/process.js';
import { Browser } from './support/oauth.js';
import { TEST_PEPPER, createDatabase, freePort, startServer, type TestServer } from './support/server.js';

const ADMIN = 'root@console.example';

let db: { url: string; drop(): Promise<void> };
let server: TestServer;
let adminClientId: string;
let connectionId: string;
let apiToken: string;

async function consoleConnection() {
  const rows = await server.gatehouse.db.dataSource.query(
    'SELECT id, redirect_uri FROM connections WHERE client_id = $1 AND consumer_id = $1', [adminClientId],
  );
  return rows[0] as { id: string; redirect_uri: string } | undefined;
}

beforeAll(async () => {
  db = await createDatabase();
  // Bootstrapped as a newcomer does it: before the first start, without the server's PORT or ISSUER.
  const bootstrap = runCli({ DATABASE_URL: db.url, SECRET_PEPPER: TEST_PEPPER, ISSUER: '', PORT: '' }, ['admin:bootstrap', '--email', ADMIN, '--password', PASSWORD]);
  expect(bootstrap.status).toBe(0);
  adminClientId = /Created ADMIN client ([0-9a-f-]{36})/.exec(bootstrap.stdout)![1];
  server = await startServer({ databaseUrl: db.url });
  connectionId = (await consoleConnection())!.id;
  apiToken = (await callerOfType(server, 'ADMIN')).token;
});

afterAll(async () => {
  await server?.gatehouse.close();
  await db?.drop();
});

test("the start points the console's connection at this ISSUER, so the console signs in on another port", async () => {
  expect((await consoleConnection())!.redirect_uri).toBe(`${server.url}/console/callback`);
  const signedIn = await consoleSignIn(server.url, ADMIN);
  expect(signedIn.status).toBe(200);
  expect(new URL(signedIn.url).pathname).toBe('/console/services');
  const events = await api(server, 'GET', `/api/audit_events?action=connection.console_restore&target_id=${connectionId}`, { token: apiToken });
  expect(events.body.data).toHaveLength(1);
});

describe("the console's own connection is refused everywhere but console:repair (409)", () => {
  const base = () => `/api/clients/${adminClientId}/connections/${connectionId}`;

  test.each([
    ['PATCH', '', { redirect_uri: 'https://evil.example/cb' }],
    ['PATCH', '/actions/refresh_secret', undefined],
    ['DELETE', '', undefined],
  ])('%s %s through /api', async (method, suffix, body) => {
    const res = await api(server, method, `${base()}${suffix}`, { token: apiToken, body });
    expect(res.status).toBe(409);
    expect(res.body).toEqual({ error: { type: 'conflict', message: expect.stringContaining('console:repair') } });
    expect((await consoleConnection())!.redirect_uri).toBe(`${server.url}/console/callback`);
  });

  test('PUT through the internal listener', async () => {
    const res = await call(server, 'PUT', `/internal/clients/${adminClientId}/connections`, { consumer_id: adminClientId });
    expect(res.status).toBe(409);
    expect((await consoleSignIn(server.url, ADMIN)).status).toBe(200); // its secret still works
  });

  test('through the console: no controls, and a forged post is a 409 page', async () => {
    const { browser } = await consoleSignIn(server.url, ADMIN);
    const pageUrl = `${server.url}/console/clients/${adminClientId}/connections/${connectionId}`;
    const html = await (await browser.get(pageUrl)).text();
    expect(html).toContain("the admin console's own connection");
    expect(html).not.toMatch(/refresh_secret|Delete connection|Save redirect URI/);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(html)![1];
    for (const action of ['/refresh_secret', '/delete', '']) {
      const res = await browser.postForm(`${pageUrl}${action}`, { _csrf: csrf, redirect_uri: 'https://evil.example/cb' });
      expect(res.status).toBe(409);
      expect(await res.text()).toContain('console:repair');
    }
    expect((await consoleSignIn(server.url, ADMIN)).status).toBe(200);
  });
});

describe('npm run cli -- console:repair', () => {
  const cli = (args: string[]) => runCli({ DATABASE_URL: db.url, SECRET_PEPPER: TEST_PEPPER, ISSUER: server.url }, args);

  test('restores a secret and redirect URI changed behind its back, and recreates a deleted connection', async () => {
    expect(cli(['console:repair']).stdout).toMatch(/in order.*nothing changed/);
    await server.gatehouse.db.dataSource.query(
      `UPDATE connections SET secret_hash = 'x', redirect_uri = 'https://evil.example/cb' WHERE id = $1`, [connectionId],
    );
    expect((await consoleSignIn(server.url, ADMIN)).status).toBe(400); // the sign-in is broken
    const restored = cli(['console:repair']);
    expect(restored.status).toBe(0);
    expect(restored.stdout).toMatch(/was restored/);
    expect((await consoleSignIn(server.url, ADMIN)).status).toBe(200);

    await server.gatehouse.db.dataSource.query('DELETE FROM connections WHERE id = $1', [connectionId]);
    const recreated = cli(['console:repair']);
    expect(recreated.stdout).toMatch(/was recreated/);
    expect((await consoleSignIn(server.url, ADMIN)).status).toBe(200);
  });
});

describe("the console is served on ISSUER's origin", () => {
  test('a request on another host is sent to the same path on ISSUER before sign-in, and the sign-in works', async () => {
    const port = new URL(server.url).port;
    const res = await fetch(`http://localhost:${port}/console/clients?name=x`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe(`${server.url}/console/clients?name=x`);
    const signedIn = await consoleSignIn(`http://localhost:${port}`, ADMIN, PASSWORD, new Browser());
    expect(signedIn.status).toBe(200);
    expect(new URL(signedIn.url).origin).toBe(server.url);
  });

  test('a trusted proxy saying https when ISSUER is http sends the browser to ISSUER too', async () => {
    const proxied = await startServer({ databaseUrl: db.url, env: { TRUST_PROXY: '1', ISSUER: server.url, PORT: String(await freePort()) } });
    try {
      const res = await fetch(`${proxied.gatehouse.publicUrl}/console`, {
        redirect: 'manual', headers: { host: new URL(server.url).host, 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.9' },
      });
      expect(res.status).toBe(302);
      expect(res.headers.get('location')).toBe(`${server.url}/console`);
    } finally {
      await proxied.gatehouse.close();
    }
  });
});
