// Console form posts in a real browser (CONTRACT §7, issue 9): every change answers 303 to a page that says what
// it did; a secret is shown once on the page the redirect leads to; reloading that page repeats nothing and shows
// the secret no more; Escape does not silently close a show-once dialog.
import type { Page, Response } from 'playwright-core';
import { api, callerOfType, tokenRequest } from './support/api.js';
import { ADMIN_EMAIL, type ConsoleRig, DESKTOP, newPage, signIn, startConsole } from './support/browser.js';
import { createClient, putConnection } from './support/internal.js';
import type { TestServer } from './support/server.js';

let rig: ConsoleRig;
let server: TestServer;
let page: Page;
let adminToken: string;

beforeAll(async () => {
  rig = await startConsole();
  server = rig.server;
  let context;
  ({ context, page } = await newPage(rig.browser, DESKTOP));
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  page.setDefaultTimeout(5000);
  adminToken = (await callerOfType(server, 'ADMIN')).token;
  await signIn(page, server.url, ADMIN_EMAIL);
});

afterAll(() => rig?.stop());

/** Clicks and returns the answer to the form post it makes. */
async function post(click: () => Promise<void>): Promise<Response> {
  const [res] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST'), click()]);
  await page.waitForLoadState();
  return res;
}

const auditCount = async (action: string) =>
  (await api(server, 'GET', `/api/audit_events?action=${action}`, { token: adminToken })).body.paging.total_entries;

async function notice(): Promise<string | null> {
  return page.locator('#flash-notice').textContent();
}

test('Add service: 303 to the service, the secret once; a reload neither re-submits nor shows it again', async () => {
  await page.goto(`${server.url}/console/services/new`);
  await page.getByLabel('System ID (Client ID)').fill('reload_svc');
  await page.getByLabel('Friendly Name').fill('Reload service');
  await page.getByRole('radio', { name: 'Integration' }).check();
  const res = await post(() => page.getByRole('button', { name: 'Save' }).click());
  expect(res.status()).toBe(303);
  expect(res.headers().location).toBe('/console/services/reload_svc');
  expect(new URL(page.url()).pathname).toBe('/console/services/reload_svc');
  expect(await notice()).toBe('The service Reload service was created.');
  const secret = await page.locator('#shown-client-secret').inputValue();
  expect((await tokenRequest(server, 'reload_svc', secret)).status).toBe(200);

  await page.reload();
  expect(await page.locator('#secret-dialog').count()).toBe(0);
  expect(await page.content()).not.toContain(secret);
  expect(await page.locator('#flash-notice').count()).toBe(0);
  expect(await auditCount('service.create')).toBe(1);
  expect((await tokenRequest(server, 'reload_svc', secret)).status).toBe(200);
});

test('Regenerate: the new secret once; a reload does not regenerate again, so the secret just copied keeps working', async () => {
  await page.goto(`${server.url}/console/services/reload_svc`);
  await page.getByRole('button', { name: 'Regenerate secret' }).click();
  const res = await post(() => page.locator('dialog#regenerate-dialog').getByRole('button', { name: 'Regenerate secret' }).click());
  expect(res.status()).toBe(303);
  expect(await notice()).toMatch(/^A new secret was made for Reload service/);
  const renewed = await page.locator('#shown-client-secret').inputValue();

  await page.reload();
  expect(await page.locator('#shown-client-secret').count()).toBe(0);
  expect(await auditCount('service.regenerate_secret')).toBe(1);
  expect((await tokenRequest(server, 'reload_svc', renewed)).status).toBe(200);
});

test('Escape does not close a show-once dialog before the secret was copied; after the copy it does', async () => {
  await page.goto(`${server.url}/console/services/reload_svc`);
  await page.getByRole('button', { name: 'Regenerate secret' }).click();
  await post(() => page.locator('dialog#regenerate-dialog').getByRole('button', { name: 'Regenerate secret' }).click());
  const dialog = page.locator('dialog#secret-dialog');
  await dialog.waitFor({ state: 'visible' });
  await page.keyboard.press('Escape');
  await page.keyboard.press('Escape');
  // Chromium lets a second Escape without a user gesture close the dialog; the close event, a task later, opens it
  // again. Checking visibility in the instant between the two failed now and then: wait for it to be open.
  await dialog.waitFor({ state: 'visible' });
  expect(await dialog.locator('.copied').textContent()).toMatch(/Copy it first: it will not be shown again/);
  await page.getByRole('button', { name: 'Copy Client Secret' }).click();
  await dialog.locator('.copied').filter({ hasText: /^Client Secret copied to the clipboard\.$/ }).waitFor();
  await page.keyboard.press('Escape');
  await dialog.waitFor({ state: 'hidden' });
});

describe('every change says what it did, after a 303', () => {
  let token: string;

  beforeAll(async () => {
    await api(server, 'POST', '/api/services', { token: adminToken, body: { client_id: 'print_notices', name: 'Printing', service_type: 'PRINT_SERVICE' } });
    const regenerated = await api(server, 'POST', '/api/services/print_notices/actions/regenerate_secret', { token: adminToken });
    token = (await tokenRequest(server, 'print_notices', regenerated.body.data.client_secret, 'printer:report')).body.access_token;
    await api(server, 'PUT', '/api/print_service/printers', { token, body: { printers: [{ system_name: 'HP-1', status: 'online' }] } });
  });

  test('printers: add, rename, availability, remove', async () => {
    await page.goto(`${server.url}/console/services/print_notices/printers`);
    await page.getByRole('button', { name: 'Add printer' }).click();
    await page.getByLabel('System printer').selectOption({ label: 'HP-1 (online)' });
    await page.locator('#printer-name').fill('Front desk');
    expect((await post(() => page.getByRole('button', { name: 'Add', exact: true }).click())).status()).toBe(303);
    expect(await notice()).toBe('The printer HP-1 was added as Front desk.');

    const row = () => page.locator('tr[data-printer="HP-1"]');
    await row().getByRole('textbox').fill('Reception');
    expect((await post(() => row().getByRole('button', { name: 'Rename' }).click())).status()).toBe(303);
    expect(await notice()).toBe('The printer HP-1 is now called Reception.');

    expect((await post(() => row().getByRole('switch').click())).status()).toBe(303);
    expect(await notice()).toBe('Reception is now unavailable.');

    await row().getByRole('button', { name: 'Remove Reception' }).click();
    expect((await post(() => page.locator('dialog[open]').getByRole('button', { name: 'Remove printer' }).click())).status()).toBe(303);
    expect(await notice()).toBe('The printer Reception was removed.');
    await page.reload();
    expect(await page.locator('#flash-notice').count()).toBe(0);
  });

  test('a connection: refresh (secret shown once) and delete', async () => {
    const pharmacy = await createClient(server, { name: 'Pharmacy', client_type: 'PHARMACY' });
    const mis = await createClient(server, { name: 'MIS', client_type: 'MIS' });
    const conn = await putConnection(server, pharmacy.id, { consumer_id: mis.id, redirect_uri: 'https://mis.example/cb' });
    await page.goto(`${server.url}/console/clients/${pharmacy.id}/connections/${conn.id}`);
    await page.getByRole('button', { name: 'Refresh secret…' }).click();
    expect((await post(() => page.locator('dialog#refresh-dialog').getByRole('button', { name: 'Refresh secret' }).click())).status()).toBe(303);
    expect(await notice()).toMatch(/^The connection has a new secret/);
    expect(await page.locator('#shown-client-secret').inputValue()).toMatch(/^[A-Za-z0-9_-]{43}$/);
    await page.getByRole('button', { name: 'I have copied it' }).click();

    await page.getByRole('button', { name: 'Delete connection…' }).click();
    const res = await post(() => page.locator('dialog#delete-dialog').getByRole('button', { name: 'Delete connection' }).click());
    expect(res.status()).toBe(303);
    expect(new URL(page.url()).pathname).toBe(`/console/clients/${pharmacy.id}`);
    expect(await notice()).toBe(`The connection of ${mis.id} was deleted; its secret and tokens no longer work.`);
  });

  test('sign-out answers 303 to a page that says so', async () => {
    const res = await post(() => page.getByRole('button', { name: 'Sign out' }).click());
    expect(res.status()).toBe(303);
    expect(new URL(page.url()).pathname).toBe('/console/signed-out');
    expect(await page.locator('h1').textContent()).toBe('You have signed out');
  });
});
