// The console's gates (CONTRACT §7): sign-in state and PKCE, CSRF on every form, scopes re-checked on every
// request with a clear 403 page, access_denied for non-members, sign-out, sessions shared by instances.
import http from 'node:http';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { bootstrapAdmin } from '../src/domain/bootstrap.js';
import { api, callerOfType } from './support/api.js';
import { ADMIN_EMAIL as ADMIN, type ConsoleRig, launchBrowser, newPage, screenshot, signIn, startConsole } from './support/browser.js';
import { PASSWORD, createClient, createUser } from './support/internal.js';
import { freePort, startServer, type TestServer } from './support/server.js';

const READER = 'reader@example.test';
const OUTSIDER = 'outsider@example.test';

let rig: ConsoleRig;
let server: TestServer;
let browser: Browser;
let adminClientId: string;
let apiToken: string;

beforeAll(async () => {
  rig = await startConsole();
  ({ server, browser, adminClientId } = rig);
  await createUser(server, { email: READER, memberships: [{ client_id: adminClientId, scopes: ['service:read', 'audit:read'] }] });
  const pharmacy = await createClient(server, { name: 'Pharmacy', client_type: 'PHARMACY' });
  await createUser(server, { email: OUTSIDER, memberships: [{ client_id: pharmacy.id, scopes: ['client:read'] }] });
  apiToken = (await callerOfType(server, 'ADMIN')).token;
});

afterAll(() => rig?.stop());

async function signedInPage(email: string): Promise<{ context: BrowserContext; page: Page }> {
  const opened = await newPage(browser);
  opened.page.setDefaultTimeout(5000);
  await signIn(opened.page, server.url, email);
  return opened;
}

async function serviceExists(id: string): Promise<boolean> {
  return (await api(server, 'GET', `/api/services/${id}`, { token: apiToken })).status === 200;
}

/** Fills the "Add service" form with a valid service, for a test to tamper with before it is sent. */
async function fillNewService(page: Page, id: string) {
  await page.goto(`${server.url}/console/services/new`);
  await page.getByLabel('System ID (Client ID)').fill(id);
  await page.getByLabel('Friendly Name').fill('Tampered');
}

async function submit(page: Page) {
  const [res] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.getByRole('button', { name: 'Save' }).click()]);
  return res;
}

describe('without a session', () => {
  test('a page sends the browser to sign-in, which starts a PKCE S256 authorization request', async () => {
    const page = await fetch(`${server.url}/console/services?name=lab`, { redirect: 'manual' });
    expect(page.status).toBe(302);
    expect(page.headers.get('location')).toBe('/console/login?return_to=%2Fconsole%2Fservices%3Fname%3Dlab');

    const login = await fetch(`${server.url}/console/login?return_to=%2Fconsole%2Fservices`, { redirect: 'manual' });
    expect(login.status).toBe(302);
    const to = new URL(login.headers.get('location')!);
    expect(to.origin).toBe(server.url);
    expect(Object.fromEntries(to.searchParams)).toMatchObject({
      client_id: adminClientId, redirect_uri: `${server.url}/console/callback`, response_type: 'code', code_challenge_method: 'S256',
    });
    expect(to.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(login.headers.getSetCookie().join('\n')).toMatch(/gatehouse_console_login=[^;]+;.*httponly/i);
  });

  test('a callback without the state this browser started with is refused', async () => {
    const res = await fetch(`${server.url}/console/callback?code=x&state=forged`, { redirect: 'manual' });
    expect(res.status).toBe(400);
    expect(await res.text()).toContain('Sign-in could not be completed');
  });

  test('a POST is refused and changes nothing', async () => {
    const res = await fetch(`${server.url}/console/services`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ client_id: 'no_session_svc', name: 'x', service_type: 'INTEGRATION' }), redirect: 'manual',
    });
    expect(res.status).toBe(401);
    expect(await serviceExists('no_session_svc')).toBe(false);
  });
});

describe('CSRF: every form carries a token bound to the session', () => {
  let admin: { context: BrowserContext; page: Page };
  beforeAll(async () => {
    admin = await signedInPage(ADMIN);
  });
  afterAll(() => admin.context.close());

  test('a missing token is refused with a clear page', async () => {
    await fillNewService(admin.page, 'csrf_missing');
    await admin.page.locator('#new-service input[name=_csrf]').evaluate((el) => el.remove());
    expect((await submit(admin.page)).status()).toBe(403);
    expect(await admin.page.locator('h1').textContent()).toBe('This form could not be accepted');
    await screenshot(admin.page, 'csrf-refused');
    expect(await serviceExists('csrf_missing')).toBe(false);
  });

  test('a forged token is refused', async () => {
    await fillNewService(admin.page, 'csrf_forged');
    await admin.page.locator('#new-service input[name=_csrf]').evaluate((el: HTMLInputElement) => { el.value = 'forged-token'; });
    expect((await submit(admin.page)).status()).toBe(403);
    expect(await serviceExists('csrf_forged')).toBe(false);
  });

  test("another session's token is refused", async () => {
    const other = await signedInPage(ADMIN);
    await other.page.goto(`${server.url}/console/services/new`);
    const foreign = await other.page.locator('#new-service input[name=_csrf]').inputValue();
    await other.context.close();
    await fillNewService(admin.page, 'csrf_foreign');
    await admin.page.locator('#new-service input[name=_csrf]').evaluate((el: HTMLInputElement, value) => { el.value = value; }, foreign);
    expect((await submit(admin.page)).status()).toBe(403);
    expect(await serviceExists('csrf_foreign')).toBe(false);
  });

  test('the untouched form goes through, answered 303 to the page it made (CONTRACT §7)', async () => {
    await fillNewService(admin.page, 'csrf_ok');
    const res = await submit(admin.page);
    expect(res.status()).toBe(303);
    expect(res.headers().location).toBe('/console/services/csrf_ok');
    expect(await serviceExists('csrf_ok')).toBe(true);
  });
});

describe('scopes', () => {
  test('a user without a scope sees only what they may use and gets a clear 403 page for the rest', async () => {
    const { context, page } = await signedInPage(READER);
    expect(new URL(page.url()).pathname).toBe('/console/services');
    expect(await page.getByRole('link', { name: 'Add service' }).count()).toBe(0);
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link').allTextContents()).toEqual(['Configuration › Services', 'Audit log']);

    // A service is shown read-only: no form, no "Regenerate secret".
    await page.goto(`${server.url}/console/services/csrf_ok`);
    expect(await page.locator('h1').textContent()).toBe('Tampered');
    expect(await page.locator('main form').count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Regenerate secret' }).count()).toBe(0);

    for (const path of ['/console/services/new', '/console/clients']) {
      const res = await page.goto(`${server.url}${path}`);
      expect(res!.status()).toBe(403);
      expect(await page.locator('h1').textContent()).toBe('You are not allowed to do this');
    }
    expect(await page.locator('main').textContent()).toContain('client:read');
    await screenshot(page, 'forbidden');

    // A POST with a valid CSRF token is still refused for lack of service:write.
    const status = await page.evaluate(async () => {
      const csrf = (document.querySelector('input[name=_csrf]') as HTMLInputElement).value;
      const res = await fetch('/console/services', {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: csrf, client_id: 'reader_svc', name: 'x', service_type: 'INTEGRATION' }),
      });
      return res.status;
    });
    expect(status).toBe(403);
    expect(await serviceExists('reader_svc')).toBe(false);

    // Scopes are re-checked on every request: a scope taken from the membership is gone at the next page.
    // (No API edits memberships yet, so the operator's change is made in the database.)
    await server.gatehouse.db.dataSource.manager.query(
      "UPDATE memberships SET scopes = array_remove(scopes, 'service:read') WHERE client_id = $1 AND user_id = (SELECT id FROM users WHERE email = $2)",
      [adminClientId, READER],
    );
    const after = await page.goto(`${server.url}/console/services`);
    expect(after!.status()).toBe(403);
    await context.close();
  });

  test('a member with none of the console\'s scopes gets the 403 page, not an empty console', async () => {
    await createUser(server, { email: 'nobody@example.test', memberships: [{ client_id: adminClientId, scopes: [] }] });
    const { context, page } = await signedInPage('nobody@example.test');
    expect(new URL(page.url()).pathname).toBe('/console');
    expect(await page.locator('h1').textContent()).toBe('You are not allowed to do this');
    expect(await page.getByRole('navigation', { name: 'Main' }).getByRole('link').count()).toBe(0);
    await context.close();
  });

  test('a user who is not a member of the ADMIN client is told so, with no session', async () => {
    const { context, page } = await signedInPage(OUTSIDER);
    expect(new URL(page.url()).pathname).toBe('/console/callback');
    expect(await page.locator('h1').textContent()).toBe('Your account may not use the admin console');
    expect((await context.cookies()).some((c) => c.name === 'gatehouse_console')).toBe(false);
    await context.close();
  });
});

describe('sessions', () => {
  test('return_to cannot send the browser away from the console after sign-in', async () => {
    const { context, page } = await newPage(browser);
    await signIn(page, server.url, ADMIN, PASSWORD, `/console/login?return_to=${encodeURIComponent('//evil.example/')}`);
    expect(page.url()).toBe(`${server.url}/console/services`);
    // A page inside the console, with its query, is where the browser comes back to.
    await page.context().clearCookies();
    await signIn(page, server.url, ADMIN, PASSWORD, '/console/audit?action=console.sign_in');
    expect(page.url()).toBe(`${server.url}/console/audit?action=console.sign_in`);
    await context.close();
  });

  test('another instance on the same database serves the same session', async () => {
    const { context } = await signedInPage(ADMIN);
    // Instances share one ISSUER (CONTRACT §1); the second is reached as a load balancer would reach it, with
    // ISSUER's Host, carrying the cookies the first instance set.
    const second = await startServer({ databaseUrl: server.databaseUrl, env: { ISSUER: server.url } });
    try {
      const cookie = (await context.cookies()).map((c) => `${c.name}=${c.value}`).join('; ');
      const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = http.get(`${second.gatehouse.publicUrl}/console/clients`, { headers: { host: new URL(server.url).host, cookie } }, (r) => {
          let body = '';
          r.on('data', (d) => (body += d));
          r.on('end', () => resolve({ status: r.statusCode!, body }));
        });
        req.on('error', reject);
      });
      expect(res.status).toBe(200);
      expect(res.body).toMatch(/<h1>Clients<\/h1>/);
    } finally {
      await second.gatehouse.close();
      await context.close();
    }
  });

  test('sign-out ends the session and the next sign-in asks for the password again', async () => {
    const { context, page } = await signedInPage(ADMIN);
    const session = (await context.cookies()).filter((c) => c.name.startsWith('gatehouse_console'));
    expect(session.map((c) => c.name).sort()).toEqual(['gatehouse_console', 'gatehouse_console.sig']);
    await page.getByRole('button', { name: 'Sign out' }).click();
    expect(await page.locator('h1').textContent()).toBe('You have signed out');
    expect((await context.cookies()).some((c) => c.name === 'gatehouse_console')).toBe(false);

    // The old cookie value is dead on the server, not only forgotten by the browser.
    await context.addCookies(session);
    await page.goto(`${server.url}/console/services`);
    expect(new URL(page.url()).pathname).toMatch(/^\/interaction\//);
    expect(await page.getByLabel('Password').count()).toBe(1);
    await context.close();
  });
});

describe('behind a proxy', () => {
  test('sign-in works when the public ISSUER cannot be reached from inside the server', async () => {
    // gatehouse.test does not resolve (RFC 2606) except in this browser, as a public name behind a proxy would not.
    const port = await freePort();
    const issuer = `http://gatehouse.test:${port}`;
    const proxied = await startServer({ env: { PORT: String(port), ISSUER: issuer } });
    const outside = await launchBrowser([`--host-resolver-rules=MAP gatehouse.test 127.0.0.1`]);
    try {
      await bootstrapAdmin(proxied.gatehouse.db.dataSource.manager, proxied.gatehouse.secrets, issuer, ADMIN, PASSWORD);
      const { page } = await newPage(outside);
      await signIn(page, issuer, ADMIN);
      expect(page.url()).toBe(`${issuer}/console/services`);
    } finally {
      await outside.close();
      await proxied.stop();
    }
  });
});
