// The console's Users and Permissions pages, and Clients' "Add client" and "Add connection", in Chromium at 1280 and
// 390 px (CONTRACT §7, §8): every change is a form post answered by 303 to a page that says what changed; a setup
// link or a secret is shown once, on the page the redirect leads to.
import pg from 'pg';
import type { Page } from 'playwright-core';
import { api, callerOfType } from './support/api.js';
import { ADMIN_EMAIL, type ConsoleRig, PHONE, newPage, screenshot, signIn, startConsole } from './support/browser.js';
import { createClient, createUser, putConnection, type TestClient } from './support/internal.js';
import { relyingParty, signIn as oauthSignIn } from './support/oauth.js';
import type { TestServer } from './support/server.js';

let rig: ConsoleRig;
let server: TestServer;
let page: Page;
let adminToken: string;
let clinic: TestClient;

beforeAll(async () => {
  rig = await startConsole();
  server = rig.server;
  adminToken = (await callerOfType(server, 'ADMIN')).token;
  clinic = await createClient(server, { name: 'Clinic Podil', client_type: 'MSP' });
  ({ page } = await newPage(rig.browser));
  page.setDefaultTimeout(5000);
  await signIn(page, server.url, ADMIN_EMAIL);
});

afterAll(() => rig?.stop());

async function userByEmail(email: string) {
  const res = await api(server, 'GET', `/api/users?email=${encodeURIComponent(email)}`, { token: adminToken });
  return res.body.data[0];
}

async function overflows(p: Page): Promise<boolean> {
  return p.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1);
}

async function linkInDialog(p: Page): Promise<string> {
  const dialog = p.locator('dialog#secret-dialog');
  await dialog.waitFor({ state: 'visible' });
  expect(await dialog.textContent()).toContain('will not be shown again');
  const url = await p.locator('#shown-link').inputValue();
  await dialog.getByRole('button', { name: 'I have copied it' }).click();
  return url;
}

test('Add user shows the setup link once on the page the 303 leads to; the link works', async () => {
  await page.getByRole('link', { name: 'Users' }).click();
  expect(await page.locator('h1').textContent()).toBe('Users');
  await page.getByRole('link', { name: 'Add user' }).click();
  await page.getByLabel('Email').fill('olena.new@clinic.example');
  await page.getByLabel('Name (optional)').fill('Olena <Nova>');
  await page.getByLabel('Member of (optional)').selectOption(clinic.id);
  await page.getByRole('checkbox', { name: /^client:read/ }).check();
  await page.getByRole('button', { name: 'Add user' }).click();
  const url = await linkInDialog(page);
  expect(url).toMatch(new RegExp(`^${server.url}/password/setup/[A-Za-z0-9_-]{43}$`));
  expect(await page.locator('#flash-notice').textContent()).toContain('olena.new@clinic.example was added');
  expect(await page.locator('h1').textContent()).toBe('olena.new@clinic.example');
  await screenshot(page, 'user-added');
  await page.reload();
  expect(await page.locator('dialog#secret-dialog').count()).toBe(0);
  expect(await page.content()).not.toContain(url);
  expect((await fetch(url)).status).toBe(200);
  const user = await userByEmail('olena.new@clinic.example');
  expect(user).toMatchObject({ name: 'Olena <Nova>', has_password: false, memberships: [{ client_id: clinic.id, scopes: ['client:read'] }] });
});

test('a taken email is said next to the field, and nothing is added', async () => {
  await page.goto(`${server.url}/console/users/new`);
  await page.getByLabel('Email').fill('OLENA.NEW@clinic.example');
  await page.getByRole('button', { name: 'Add user' }).click();
  expect(await page.locator('#email-error').textContent()).toContain('already exists');
  const all = await api(server, 'GET', '/api/users?email=olena.new', { token: adminToken });
  expect(all.body.paging.total_entries).toBe(1);
});

test('the list searches by email and filters by client and blocked', async () => {
  await createUser(server, { email: 'taras.list@clinic.example', memberships: [] });
  await page.goto(`${server.url}/console/users`);
  await page.getByLabel('Email contains').fill('TARAS.LIST');
  await page.getByRole('button', { name: 'Search' }).click();
  expect(await page.locator('tbody tr td[data-label="Email"]').allTextContents()).toEqual(['taras.list@clinic.example']);
  await page.goto(`${server.url}/console/users?client_id=${clinic.id}`);
  expect(await page.locator('tbody tr td[data-label="Email"]').allTextContents()).toEqual(['olena.new@clinic.example']);
  await page.goto(`${server.url}/console/users?is_blocked=true`);
  expect(await page.locator('tbody .empty').textContent()).toBe('No users match.');
});

test('block with a reason, then unblock', async () => {
  const user = await userByEmail('olena.new@clinic.example');
  await page.goto(`${server.url}/console/users/${user.id}`);
  await page.getByRole('button', { name: 'Block…' }).click();
  const dialog = page.locator('dialog#block-dialog');
  await dialog.getByLabel('Reason (optional)').fill('On leave <until May>');
  await dialog.getByRole('button', { name: 'Block user' }).click();
  expect(await page.locator('#flash-notice').textContent()).toContain('is blocked');
  expect(await page.locator('#block-reason').textContent()).toBe('On leave <until May>');
  expect((await userByEmail('olena.new@clinic.example')).is_blocked).toBe(true);
  await page.getByRole('button', { name: 'Unblock' }).click();
  expect(await page.locator('#flash-notice').textContent()).toContain('is unblocked');
  expect((await userByEmail('olena.new@clinic.example')).is_blocked).toBe(false);
});

test('the memberships editor adds, changes and removes memberships with the catalog as checkboxes', async () => {
  const other = await createClient(server, { name: 'Pharmacy Lviv', client_type: 'PHARMACY' });
  const user = await userByEmail('olena.new@clinic.example');
  await page.goto(`${server.url}/console/users/${user.id}`);
  const add = page.locator('#add-membership');
  await add.getByLabel('Client', { exact: true }).selectOption(other.id);
  await add.getByRole('checkbox', { name: /^connection:read/ }).check();
  await add.getByRole('button', { name: 'Add membership' }).click();
  expect(await page.locator('#flash-notice').textContent()).toContain(`Membership of ${other.id} saved`);
  const clinicForm = page.getByRole('form', { name: 'Membership of Clinic Podil' });
  await clinicForm.getByRole('checkbox', { name: /^client:read/ }).uncheck();
  await clinicForm.getByRole('checkbox', { name: /^connection:write/ }).check();
  await clinicForm.getByRole('button', { name: 'Save scopes' }).click();
  let memberships = (await userByEmail('olena.new@clinic.example')).memberships;
  expect(memberships).toEqual([
    { client_id: clinic.id, scopes: ['connection:write'] },
    { client_id: other.id, scopes: ['connection:read'] },
  ]);
  await page.getByRole('form', { name: 'Membership of Pharmacy Lviv' }).getByRole('button', { name: 'Remove membership' }).click();
  expect(await page.locator('#flash-notice').textContent()).toContain('removed');
  memberships = (await userByEmail('olena.new@clinic.example')).memberships;
  expect(memberships).toEqual([{ client_id: clinic.id, scopes: ['connection:write'] }]);
});

test('reset password behind a confirmation shows a new link once; unlock and sign out everywhere say what they did', async () => {
  const user = await userByEmail('olena.new@clinic.example');
  await page.goto(`${server.url}/console/users/${user.id}`);
  await page.getByRole('button', { name: 'Reset password…' }).click();
  await page.locator('dialog#reset-dialog').getByRole('button', { name: 'Reset password' }).click();
  const url = await linkInDialog(page);
  expect((await fetch(url)).status).toBe(200);
  expect(await page.locator('#flash-notice').textContent()).toContain('The password was reset');
  await page.getByRole('button', { name: 'Unlock sign-in' }).click();
  expect(await page.locator('#flash-notice').textContent()).toContain('was not locked out');
  await page.getByRole('button', { name: 'Sign out everywhere…' }).click();
  await page.locator('dialog#signout-dialog').getByRole('button', { name: 'Sign out everywhere' }).click();
  expect(await page.locator('#flash-notice').textContent()).toContain('Every session of the user ended');
  const audit = await api(server, 'GET', `/api/audit_events?target_id=${user.id}&order=desc`, { token: adminToken });
  expect(audit.body.data.slice(0, 3).map((e: { action: string }) => e.action)).toEqual(['user.sign_out_everywhere', 'user.unlock', 'user.reset_password']);
});

test("a user's grants are listed with their scopes and revoked from the page", async () => {
  const mis = await createClient(server, { name: 'MIS Kyiv', client_type: 'MIS' });
  const conn = await putConnection(server, clinic.id, { consumer_id: mis.id, redirect_uri: 'https://mis.example/cb' });
  const granted = await createUser(server, { email: 'grants@clinic.example', memberships: [{ client_id: clinic.id, scopes: ['client:read'] }] });
  const rp = await relyingParty(server.url, clinic.id, conn.secret);
  await oauthSignIn(rp, server.url, { redirectUri: 'https://mis.example/cb', scope: 'openid client:read', email: 'grants@clinic.example' });
  await page.goto(`${server.url}/console/users/${granted.id}`);
  const row = page.locator('section[aria-labelledby="grants-title"] tbody tr');
  expect(await row.locator('td[data-label="Client"]').textContent()).toBe('Clinic Podil');
  expect(await row.locator('td[data-label="Scopes"]').textContent()).toContain('client:read');
  await page.getByRole('button', { name: 'Revoke access of Clinic Podil' }).click();
  expect(await page.locator('#flash-notice').textContent()).toContain('was revoked');
  expect(await page.locator('section[aria-labelledby="grants-title"] tbody .empty').count()).toBe(1);
  expect((await api(server, 'GET', `/api/users/${granted.id}/grants`, { token: adminToken })).body.data).toEqual([]);
});

test("a user's second factor is shown and removed behind a confirmation (CONTRACT §11)", async () => {
  const phoneLost = await createUser(server, { email: 'phone.lost@clinic.example', memberships: [] });
  const db = new pg.Client({ connectionString: server.databaseUrl });
  await db.connect();
  try {
    await db.query(`UPDATE users SET mfa_secret = 'sealed-key', mfa_enabled_at = now() WHERE id = $1`, [phoneLost.id]);
    await db.query(`INSERT INTO mfa_recovery_codes (user_id, code_hash) VALUES ($1, 'h1'), ($1, 'h2')`, [phoneLost.id]);
    await page.goto(`${server.url}/console/users/${phoneLost.id}`);
    expect(await page.locator('#mfa-enabled').textContent()).toBe('On');
    await page.getByRole('button', { name: 'Remove second factor…' }).click();
    await page.locator('dialog#mfa-dialog').getByRole('button', { name: 'Remove second factor' }).click();
    expect(await page.locator('#flash-notice').textContent()).toContain('The second factor was removed');
    expect(await page.locator('#mfa-enabled').textContent()).toBe('Off');
    expect(await page.getByRole('button', { name: 'Remove second factor…' }).count()).toBe(0);
    expect((await api(server, 'GET', `/api/users/${phoneLost.id}`, { token: adminToken })).body.data.mfa_enabled).toBe(false);
    expect((await db.query('SELECT count(*)::int AS n FROM mfa_recovery_codes WHERE user_id = $1', [phoneLost.id])).rows[0].n).toBe(0);
    const audit = await api(server, 'GET', `/api/audit_events?target_id=${phoneLost.id}&action=user.mfa_reset`, { token: adminToken });
    expect(audit.body.data).toHaveLength(1);
  } finally {
    await db.end();
  }
});

test('a user is deleted behind a confirmation', async () => {
  const doomed = await createUser(server, { email: 'doomed@clinic.example', memberships: [] });
  await page.goto(`${server.url}/console/users/${doomed.id}`);
  await page.getByRole('button', { name: 'Delete user…' }).click();
  await page.locator('dialog#delete-dialog').getByRole('button', { name: 'Delete user' }).click();
  expect(new URL(page.url()).pathname).toBe('/console/users');
  expect(await page.locator('#flash-notice').textContent()).toContain('doomed@clinic.example was deleted');
  expect((await api(server, 'GET', `/api/users/${doomed.id}`, { token: adminToken })).status).toBe(404);
});

test('Permissions lists the catalog with descriptions and adds one', async () => {
  await page.getByRole('link', { name: 'Permissions' }).click();
  expect(await page.locator('#catalog').textContent()).toContain('user:write');
  await page.getByLabel('Name').fill('prescription:read');
  await page.getByLabel('Description').fill('Read prescriptions');
  await page.getByRole('button', { name: 'Add permission' }).click();
  expect(await page.locator('#flash-notice').textContent()).toBe('prescription:read was added to the catalog.');
  expect(await page.locator('#catalog').textContent()).toContain('Read prescriptions');
  await page.getByLabel('Name').fill('prescription:read');
  await page.getByLabel('Description').fill('again');
  await page.getByRole('button', { name: 'Add permission' }).click();
  expect(await page.locator('#p-name-error').textContent()).toContain('already exists');
});

test('Clients: Add client, then Add connection shows the secret once', async () => {
  await page.goto(`${server.url}/console/clients`);
  await page.getByRole('link', { name: 'Add client' }).click();
  await page.getByLabel('Name').fill('Hospital No. 5');
  await page.getByLabel('MIS').check();
  await page.getByRole('button', { name: 'Add client' }).click();
  expect(await page.locator('#flash-notice').textContent()).toContain('Hospital No. 5 was added');
  const clientId = /\/console\/clients\/([^/?]+)$/.exec(page.url())![1];
  await page.getByRole('button', { name: 'Add connection…' }).click();
  const dialog = page.locator('dialog#connection-dialog');
  await dialog.getByLabel('Redirect URI').fill('https://hospital5.example/callback');
  await dialog.getByRole('button', { name: 'Add connection' }).click();
  const secretDialog = page.locator('dialog#secret-dialog');
  await secretDialog.waitFor({ state: 'visible' });
  const secret = await page.locator('#shown-client-secret').inputValue();
  expect(secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
  const token = await fetch(`${server.url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}` },
    body: 'grant_type=client_credentials',
  });
  expect(token.status).toBe(200);
  await secretDialog.getByRole('button', { name: 'I have copied it' }).click();
  await page.reload();
  expect(await page.locator('dialog#secret-dialog').count()).toBe(0);
  // Adding the same consumer again is refused instead of replacing its secret.
  await page.goto(`${server.url}/console/clients/${clientId}`);
  await page.getByRole('button', { name: 'Add connection…' }).click();
  await dialog.getByRole('button', { name: 'Add connection' }).click();
  expect(await page.locator('#consumer_id-error').textContent()).toContain('already has a connection');
});

test('at 390 px the Users pages and Permissions do not scroll sideways', async () => {
  const { context, page: phone } = await newPage(rig.browser, PHONE);
  await signIn(phone, server.url, ADMIN_EMAIL, undefined, '/console/users');
  expect(await phone.locator('h1').textContent()).toBe('Users');
  expect(await overflows(phone)).toBe(false);
  await screenshot(phone, 'users-390');
  const user = await userByEmail('olena.new@clinic.example');
  await phone.goto(`${server.url}/console/users/${user.id}`);
  expect(await overflows(phone)).toBe(false);
  await screenshot(phone, 'user-390');
  await phone.goto(`${server.url}/console/permissions`);
  expect(await overflows(phone)).toBe(false);
  await phone.goto(`${server.url}/console/users/new`);
  expect(await overflows(phone)).toBe(false);
  await context.close();
});

test("resetting an administrator's password ends their console session at once", async () => {
  const second = await createUser(server, { email: 'second.admin@gatehouse.example', memberships: [{ client_id: rig.adminClientId, scopes: ['user:read'] }] });
  const { context, page: theirs } = await newPage(rig.browser);
  await signIn(theirs, server.url, 'second.admin@gatehouse.example', undefined, '/console/users');
  expect(await theirs.locator('h1').textContent()).toBe('Users');
  expect((await api(server, 'POST', `/api/users/${second.id}/actions/reset_password`, { token: adminToken })).status).toBe(200);
  await theirs.goto(`${server.url}/console/users`);
  expect(new URL(theirs.url()).pathname).toMatch(/^\/interaction\//);
  await context.close();
});
