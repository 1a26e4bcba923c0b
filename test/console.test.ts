// The admin console in a real browser (CONTRACT §7): a print service from "Add service" to its printers, a
// connection's redirect URI and secret, the audit log; screenshots of each main page go to test/artifacts/.
import type { Page } from 'playwright-core';
import { api, callerOfType, tokenRequest } from './support/api.js';
import { ADMIN_EMAIL, type ConsoleRig, DESKTOP, PHONE, newPage, screenshot, signIn, startConsole } from './support/browser.js';
import { createClient, putConnection } from './support/internal.js';
import type { TestServer } from './support/server.js';

const SERVICE_ID = 'printer_service_001';
const HOSTILE_NAME = '<b>Reception</b> & <script>alert(1)</script>';

let rig: ConsoleRig;
let server: TestServer;
let page: Page;

beforeAll(async () => {
  rig = await startConsole();
  server = rig.server;
  let context;
  ({ context, page } = await newPage(rig.browser, DESKTOP));
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  page.setDefaultTimeout(5000);
  page.on('dialog', () => { throw new Error('a script ran: an alert() was shown'); });
});

afterAll(() => rig?.stop());

/** The page scrolls sideways: something is wider than the viewport. */
async function overflows(p: Page): Promise<boolean> {
  return p.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
}

async function secretInDialog(p: Page): Promise<string> {
  const dialog = p.locator('dialog#secret-dialog');
  await dialog.waitFor({ state: 'visible' });
  expect(await dialog.textContent()).toContain('will not be shown again');
  return p.locator('#shown-client-secret').inputValue();
}

describe('the admin console, step by step', () => {
  let secret: string;
  let token: string;

  test('sign-in lands on Configuration → Services, with no consent page for the first-party console', async () => {
    const seen: string[] = [];
    const record = (frame: { url(): string; parentFrame(): unknown }) => { if (!frame.parentFrame()) seen.push(new URL(frame.url()).pathname); };
    page.on('framenavigated', record);
    await signIn(page, server.url, ADMIN_EMAIL);
    page.off('framenavigated', record);
    // The login page, then straight back to the console: no second interaction page asking for consent.
    expect(seen.filter((p) => p.startsWith('/interaction/'))).toHaveLength(1);
    expect(new URL(page.url()).pathname).toBe('/console/services');
    expect(await page.locator('h1').textContent()).toBe('Services');
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === 'gatehouse_console')!;
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/console' });
    expect(cookies.some((c) => c.name === 'gatehouse_console.sig')).toBe(true);
  });

  test('"Add service" checks the form in the browser and again on the server', async () => {
    await page.getByRole('link', { name: 'Add service' }).click();
    await screenshot(page, 'service-new');
    await page.getByLabel('System ID (Client ID)').fill('Bad ID!');
    expect(await page.getByLabel('System ID (Client ID)').evaluate((el: HTMLInputElement) => el.checkValidity())).toBe(false);
    await page.getByRole('button', { name: 'Save' }).click();
    expect(new URL(page.url()).pathname).toBe('/console/services/new'); // the browser refused to send it

    await page.locator('#new-service').evaluate((f: HTMLFormElement) => { f.noValidate = true; });
    await page.getByLabel('Friendly Name').fill('   ');
    const [res] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), page.getByRole('button', { name: 'Save' }).click()]);
    expect(res.status()).toBe(422);
    expect(await page.locator('#client_id-error').textContent()).toMatch(/^Enter a System ID of 3 to 64 characters/);
    expect(await page.locator('#name-error').textContent()).toMatch(/^Enter a friendly name/);
    expect(await page.getByLabel('System ID (Client ID)').getAttribute('aria-describedby')).toContain('client_id-error');
    await screenshot(page, 'service-new-errors');
  });

  test('a print service is created and its secret shown once, and it gets a client_credentials token', async () => {
    await page.getByLabel('System ID (Client ID)').fill(SERVICE_ID);
    await page.getByLabel('Friendly Name').fill(HOSTILE_NAME);
    await page.getByRole('radio', { name: 'Print Service' }).check();
    await page.getByRole('checkbox', { name: /printer:read/ }).check();
    await page.getByRole('button', { name: 'Save' }).click();
    secret = await secretInDialog(page);
    expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(await page.locator('#shown-client-id').inputValue()).toBe(SERVICE_ID);
    await page.getByRole('button', { name: 'Copy Client Secret' }).click();
    // The copy is asynchronous (navigator.clipboard.writeText): wait for its confirmation, do not read it at once.
    await page.locator('#secret-dialog .copied').filter({ hasText: /^Client Secret copied to the clipboard\.$/ }).waitFor();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(secret);
    await screenshot(page, 'service-created-dialog', false);
    // HTML in a friendly name is text, never markup.
    expect(await page.locator('h1').textContent()).toBe(HOSTILE_NAME);
    expect(await page.locator('h1 b, h1 script').count()).toBe(0);
    await page.getByRole('button', { name: 'I have copied it' }).click();

    const granted = await tokenRequest(server, SERVICE_ID, secret, 'printer:report printer:read');
    expect(granted.status).toBe(200);
    token = granted.body.access_token;
    // The secret is not shown again: the details page has no secret on it.
    await page.reload();
    expect(await page.locator('#shown-client-secret').count()).toBe(0);
    expect(await page.content()).not.toContain(secret);
    await screenshot(page, 'service-details');
  });

  test('the list shows Client ID, Friendly Name and Service Type', async () => {
    await page.getByRole('link', { name: 'Services' }).first().click();
    const row = page.locator('tbody tr', { hasText: SERVICE_ID });
    expect(await row.locator('td').allTextContents()).toEqual([SERVICE_ID, HOSTILE_NAME, 'Print Service']);
    await screenshot(page, 'services');
    await row.getByRole('link').click();
  });

  test('"Regenerate secret" asks first, then the old secret fails at once and the new one works', async () => {
    await page.getByRole('button', { name: 'Regenerate secret' }).click();
    const confirm = page.locator('dialog#regenerate-dialog');
    await confirm.waitFor({ state: 'visible' });
    expect(await confirm.textContent()).toContain('stops working at once');
    await screenshot(page, 'service-regenerate-confirm', false);
    await confirm.getByRole('button', { name: 'Regenerate secret' }).click();
    const renewed = await secretInDialog(page);
    expect(renewed).not.toBe(secret);
    await page.getByRole('button', { name: 'I have copied it' }).click();

    expect((await tokenRequest(server, SERVICE_ID, secret)).status).toBe(401);
    // Tokens issued with the old secret are dead too.
    expect((await api(server, 'PUT', '/api/print_service/printers', { token, body: { printers: [] } })).status).toBe(401);
    const again = await tokenRequest(server, SERVICE_ID, renewed, 'printer:report');
    expect(again.status).toBe(200);
    token = again.body.access_token;
  });

  test('printers the service reports can be added, toggled and renamed in the Printers tab', async () => {
    const report = await api(server, 'PUT', '/api/print_service/printers', {
      token,
      body: { printers: [
        { system_name: 'HP-LaserJet-4100', description: 'Front desk', status: 'online' },
        { system_name: 'Zebra-ZD421', description: 'Labels', status: 'offline' },
      ] },
    });
    expect(report.status).toBe(200);

    await page.getByRole('link', { name: 'Printers' }).click();
    await page.getByRole('button', { name: 'Add printer' }).click();
    await page.getByLabel('System printer').selectOption({ label: 'HP-LaserJet-4100 — Front desk (online)' });
    await page.locator('#printer-name').fill('Reception printer');
    await page.getByRole('button', { name: 'Add', exact: true }).click();

    const row = page.locator('tr[data-printer="HP-LaserJet-4100"]');
    expect(await row.getByRole('textbox').inputValue()).toBe('Reception printer');
    expect(await row.locator('.status').textContent()).toBe('Online');
    expect(await row.locator('time').count()).toBe(1);
    const toggle = row.getByRole('switch');
    expect(await toggle.getAttribute('aria-checked')).toBe('true');
    await toggle.click();
    expect(await page.locator('tr[data-printer="HP-LaserJet-4100"]').getByRole('switch').getAttribute('aria-checked')).toBe('false');

    // An empty friendly name is refused by the server too, next to the printer's field.
    const name = page.locator('tr[data-printer="HP-LaserJet-4100"]').getByRole('textbox');
    await name.evaluate((el: HTMLInputElement) => { el.form!.noValidate = true; el.value = ' '; });
    await page.locator('tr[data-printer="HP-LaserJet-4100"]').getByRole('button', { name: 'Rename' }).click();
    expect(await page.locator('tr[data-printer="HP-LaserJet-4100"] .field-error').textContent()).toMatch(/^Enter a friendly name/);
    await page.locator('tr[data-printer="HP-LaserJet-4100"]').getByRole('textbox').fill('Front desk printer');
    await page.locator('tr[data-printer="HP-LaserJet-4100"]').getByRole('button', { name: 'Rename' }).click();
    expect(await page.locator('tr[data-printer="HP-LaserJet-4100"]').getByRole('textbox').inputValue()).toBe('Front desk printer');

    const listed = await api(server, 'GET', `/api/services/${SERVICE_ID}/printers`, { token: await adminToken() });
    expect(listed.body.data).toEqual([expect.objectContaining({ system_name: 'HP-LaserJet-4100', name: 'Front desk printer', enabled: false })]);
    await screenshot(page, 'printers');
  });

  let pharmacyId: string;
  let connectionId: string;
  let connectionSecret: string;

  test("a connection's redirect URI: an invalid value is refused next to the field, a valid one is saved", async () => {
    const pharmacy = await createClient(server, { name: 'Pharmacy <i>Nord</i>', client_type: 'PHARMACY' });
    const msp = await createClient(server, { name: 'Care MSP', client_type: 'MSP' });
    const connection = await putConnection(server, pharmacy.id, { consumer_id: msp.id, redirect_uri: 'https://msp.example/callback' });
    pharmacyId = pharmacy.id;
    connectionId = connection.id;
    connectionSecret = connection.secret;

    await page.getByRole('link', { name: 'Clients' }).click();
    await page.getByLabel('Name contains').fill('nord');
    await page.getByRole('button', { name: 'Search' }).click();
    expect(await page.locator('tbody tr').count()).toBe(1);
    await screenshot(page, 'clients');
    await page.getByRole('link', { name: 'Pharmacy <i>Nord</i>' }).click();
    await screenshot(page, 'client');
    await page.getByRole('link', { name: `Manage the connection of ${msp.id}` }).click();

    const field = page.getByLabel('Redirect URI');
    await field.fill('http://msp.example/callback');
    expect(await field.evaluate((el: HTMLInputElement) => el.checkValidity())).toBe(false);
    await field.evaluate((el: HTMLInputElement) => { el.form!.noValidate = true; });
    const [res] = await Promise.all([
      page.waitForResponse((r) => r.request().method() === 'POST'), page.getByRole('button', { name: 'Save redirect URI' }).click(),
    ]);
    expect(res.status()).toBe(422);
    expect(await page.locator('#redirect_uri-error').textContent()).toBe('redirect_uri http is allowed on a loopback host only');
    expect(await page.getByLabel('Redirect URI').getAttribute('aria-invalid')).toBe('true');
    await screenshot(page, 'connection-invalid');

    await page.getByLabel('Redirect URI').fill('https://msp.example/oauth/callback');
    await page.getByRole('button', { name: 'Save redirect URI' }).click();
    expect(await page.getByRole('status').textContent()).toBe('The redirect URI is now https://msp.example/oauth/callback.');
    const stored = await api(server, 'GET', `/api/clients/${pharmacyId}/connections/${connectionId}`, { token: await adminToken() });
    expect(stored.body.data.redirect_uri).toBe('https://msp.example/oauth/callback');
  });

  test("a connection's secret is refreshed behind a confirmation and shown once", async () => {
    await page.getByRole('button', { name: 'Refresh secret…' }).click();
    const confirm = page.locator('dialog#refresh-dialog');
    await confirm.waitFor({ state: 'visible' });
    await confirm.getByRole('button', { name: 'Refresh secret' }).click();
    const renewed = await secretInDialog(page);
    expect(renewed).not.toBe(connectionSecret);
    await screenshot(page, 'connection-new-secret', false);
    await page.getByRole('button', { name: 'I have copied it' }).click();
  });

  test('the audit log lists what was done, and filters it', async () => {
    await page.getByRole('link', { name: 'Audit log' }).click();
    await screenshot(page, 'audit');
    // The log opens on the newest events: the last thing done comes first (CONTRACT §7).
    const latest = await page.locator('tbody td[data-label=Action]').allTextContents();
    expect(latest[0]).toBe('connection.refresh_secret');
    for (const action of ['service.create', 'service.regenerate_secret', 'printer.report', 'printer.assign', 'printer.update',
      'connection.update', 'connection.refresh_secret', 'console.sign_in']) {
      await page.goto(`${server.url}/console/audit?action=${action}`);
      expect([action, await page.locator('tbody td[data-label=Action]', { hasText: action }).count()]).not.toEqual([action, 0]);
    }
    await page.goto(`${server.url}/console/audit`);
    await page.getByLabel('Action').fill('connection.refresh_secret');
    await page.getByLabel('Target ID').fill(connectionId);
    await page.getByRole('button', { name: 'Filter' }).click();
    expect(await page.locator('tbody td[data-label=Action]').allTextContents()).toEqual(['connection.refresh_secret']);
    expect(await page.locator('tbody td[data-label=Target]').textContent()).toContain(connectionId);
    expect(await page.locator('tbody td[data-label=Actor]').textContent()).toMatch(/^user /);
    expect(await page.content()).not.toContain(connectionSecret);
  });

  test('every main page fits a 390 px phone and a 1280 px desktop without sideways scrolling', async () => {
    const pages = {
      services: '/console/services',
      'service-details': `/console/services/${SERVICE_ID}`,
      printers: `/console/services/${SERVICE_ID}/printers`,
      clients: '/console/clients',
      client: `/console/clients/${pharmacyId}`,
      connection: `/console/clients/${pharmacyId}/connections/${connectionId}`,
      audit: '/console/audit',
    };
    const phone = await page.context().newPage();
    await phone.setViewportSize(PHONE);
    for (const [name, path] of Object.entries(pages)) {
      await page.goto(`${server.url}${path}`);
      expect([name, await overflows(page)]).toEqual([name, false]);
      await phone.goto(`${server.url}${path}`);
      expect([name, await overflows(phone)]).toEqual([name, false]);
      await screenshot(phone, `phone-${name}`);
    }
    await phone.close();
  });

  test('every form control has a label', async () => {
    for (const path of ['/console/services/new', `/console/services/${SERVICE_ID}`, `/console/services/${SERVICE_ID}/printers`,
      `/console/clients/${pharmacyId}/connections/${connectionId}`, '/console/audit', '/console/clients']) {
      await page.goto(`${server.url}${path}`);
      const unlabelled = await page.evaluate(() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
        .filter((el) => {
          const labelled = (el as HTMLInputElement).labels?.length || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
          return !labelled && !(el.tagName === 'BUTTON' && el.textContent!.trim());
        })
        .map((el) => el.outerHTML));
      expect([path, unlabelled]).toEqual([path, []]);
    }
  });
});

let adminCaller: { token: string } | undefined;

/** An ADMIN API caller, set up the operator's way, to check through /api what the console did. */
async function adminToken(): Promise<string> {
  adminCaller ??= await callerOfType(server, 'ADMIN');
  return adminCaller.token;
}
