// The console's Clients pages and the rest of its management in a real browser (CONTRACT §7): block and unblock,
// deleting a connection or a service behind a confirmation, paging with search, pages that do not exist.
import type { Page } from 'playwright-core';
import { api, callerOfType } from './support/api.js';
import { ADMIN_EMAIL, type ConsoleRig, newPage, signIn, startConsole } from './support/browser.js';
import { createClient, putConnection } from './support/internal.js';
import type { TestServer } from './support/server.js';

let rig: ConsoleRig;
let server: TestServer;
let page: Page;
let adminToken: string;
let pharmacyId: string;
let connectionId: string;

beforeAll(async () => {
  rig = await startConsole();
  server = rig.server;
  adminToken = (await callerOfType(server, 'ADMIN')).token;
  const pharmacy = await createClient(server, { name: 'Pharmacy Süd', client_type: 'PHARMACY' });
  const msp = await createClient(server, { name: 'Care MSP', client_type: 'MSP' });
  pharmacyId = pharmacy.id;
  connectionId = (await putConnection(server, pharmacy.id, { consumer_id: msp.id, redirect_uri: 'https://msp.example/callback' })).id;
  ({ page } = await newPage(rig.browser));
  page.setDefaultTimeout(5000);
  await signIn(page, server.url, ADMIN_EMAIL);
});

afterAll(() => rig?.stop());

describe('managing clients, connections and services', () => {
  test('a client is blocked behind a confirmation with a reason, then unblocked', async () => {
    await page.goto(`${server.url}/console/clients/${pharmacyId}`);
    await page.getByRole('button', { name: 'Block…' }).click();
    const dialog = page.locator('dialog#block-dialog');
    await dialog.getByLabel('Reason (optional)').fill('Contract <ended>');
    await dialog.getByRole('button', { name: 'Block client' }).click();
    expect(await page.locator('.pagehead .status').textContent()).toBe('Blocked');
    expect(await page.locator('dl.facts').textContent()).toContain('Contract <ended>');
    const blocked = await api(server, 'GET', `/api/clients/${pharmacyId}`, { token: adminToken });
    expect(blocked.body.data).toMatchObject({ is_blocked: true, block_reason: 'Contract <ended>' });
    await page.getByRole('button', { name: 'Unblock' }).click();
    expect(await page.locator('.pagehead .status').textContent()).toBe('Active');
  });

  test('the admin console cannot block its own client', async () => {
    await page.goto(`${server.url}/console/clients/${rig.adminClientId}`);
    expect(await page.getByRole('button', { name: 'Block…' }).count()).toBe(0);
  });

  test('a connection is deleted behind a confirmation', async () => {
    await page.goto(`${server.url}/console/clients/${pharmacyId}/connections/${connectionId}`);
    await page.getByRole('button', { name: 'Delete connection…' }).click();
    const dialog = page.locator('dialog#delete-dialog');
    expect(await dialog.textContent()).toContain('cannot be undone');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect(await dialog.isVisible()).toBe(false);
    await page.getByRole('button', { name: 'Delete connection…' }).click();
    await dialog.getByRole('button', { name: 'Delete connection' }).click();
    expect(new URL(page.url()).pathname).toBe(`/console/clients/${pharmacyId}`);
    expect(await page.locator('tbody').textContent()).toContain('No connections');
    const gone = await api(server, 'GET', `/api/clients/${pharmacyId}/connections/${connectionId}`, { token: adminToken });
    expect(gone.status).toBe(404);
    const res = await page.goto(`${server.url}/console/clients/${pharmacyId}/connections/${connectionId}`);
    expect(res!.status()).toBe(404);
    expect(await page.locator('h1').textContent()).toBe('Not found');
  });

  test('the clients list pages through many clients and keeps the search', async () => {
    for (let i = 1; i <= 22; i++) await createClient(server, { name: `Paging pharmacy ${String(i).padStart(2, '0')}`, client_type: 'PHARMACY' });
    await page.goto(`${server.url}/console/clients?name=paging`);
    expect(await page.locator('tbody tr').count()).toBe(20);
    expect(await page.locator('.pager').textContent()).toContain('Page 1 of 2');
    await page.getByRole('link', { name: 'Next ›' }).click();
    expect(new URL(page.url()).searchParams.get('name')).toBe('paging');
    expect(await page.locator('tbody td[data-label=Name]').allTextContents()).toEqual(['Paging pharmacy 21', 'Paging pharmacy 22']);
  });

  test('an integration has no Printers tab; a service is deleted behind a confirmation', async () => {
    await page.goto(`${server.url}/console/services/new`);
    await page.getByLabel('System ID (Client ID)').fill('wholesaler_integration');
    await page.getByLabel('Friendly Name').fill('Wholesaler Integration');
    await page.getByRole('radio', { name: 'Integration' }).check();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('button', { name: 'I have copied it' }).click();
    expect(await page.getByRole('navigation', { name: 'Service' }).getByRole('link').allTextContents()).toEqual(['Details']);
    expect((await page.goto(`${server.url}/console/services/wholesaler_integration/printers`))!.status()).toBe(404);
    await page.goto(`${server.url}/console/services/wholesaler_integration`);
    await page.getByRole('button', { name: 'Delete service…' }).click();
    await page.locator('dialog#delete-dialog').getByRole('button', { name: 'Delete service' }).click();
    expect(new URL(page.url()).pathname).toBe('/console/services');
    expect(await page.locator('tbody').textContent()).not.toContain('wholesaler_integration');
  });

  test('an unknown console page is a 404 page', async () => {
    const res = await page.goto(`${server.url}/console/nowhere`);
    expect(res!.status()).toBe(404);
    expect(await page.locator('h1').textContent()).toBe('Not found');
  });

  test('the permissions editor keeps every box ticked, however many', async () => {
    for (let i = 1; i <= 10; i++) {
      const added = await api(server, 'POST', '/api/permissions', { token: adminToken, body: { name: `prescription:scope${i}`, description: `Scope ${i}` } });
      expect(added.status).toBe(201);
    }
    await page.goto(`${server.url}/console/services/new`);
    await page.getByLabel('System ID (Client ID)').fill('many_permissions');
    await page.getByLabel('Friendly Name').fill('Many permissions');
    await page.getByRole('radio', { name: 'Integration' }).check();
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('button', { name: 'I have copied it' }).click();
    const boxes = page.getByRole('checkbox');
    const all = await boxes.count();
    expect(all).toBeGreaterThan(20);
    for (let i = 0; i < all; i++) await boxes.nth(i).check();
    await page.getByRole('button', { name: 'Save changes' }).click();
    expect(await page.getByRole('status').textContent()).toContain('saved');
    const service = await api(server, 'GET', '/api/services/many_permissions', { token: adminToken });
    expect(service.body.data.permissions).toHaveLength(all);
    expect(await page.getByRole('checkbox', { checked: true }).count()).toBe(all);
  });
});
