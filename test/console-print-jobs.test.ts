// Print jobs in the console (CONTRACT §7, §9): each printer on the Printers tab shows its queued and printing
// counts and its recent jobs; the Print jobs page lists every job with status, printer, service, submitter and
// times, newest first, filtered by status, printer and service; no title or document is shown.
import type { Page } from 'playwright-core';
import { callerOfType } from './support/api.js';
import { ADMIN_EMAIL, type ConsoleRig, DESKTOP, PHONE, newPage, screenshot, signIn, startConsole } from './support/browser.js';
import { type PrintService, claim, printService, reportJob, submit } from './support/printing.js';

let rig: ConsoleRig;
let page: Page;
let service: PrintService;
const jobs: Record<string, string> = {};

beforeAll(async () => {
  rig = await startConsole();
  const { server } = rig;
  const admin = await callerOfType(server, 'ADMIN');
  service = await printService(server, admin, { 'HP-Front': 'online', 'Zebra-Labels': 'online' }, { id: 'pharmacy_print' });
  const portal = await callerOfType(server, 'PHARMACY', { name: 'Portal of pharmacy 7', permissions: ['print:submit'] });
  const front = service.printers['HP-Front'].id;
  for (const name of ['printed', 'canceled', 'queued']) {
    jobs[name] = (await submit(server, portal.token, front, { title: `Rx for patient ${name}` })).body.data.id;
    if (name === 'printed') {
      const [claimed] = (await claim(server, service.token)).body.data;
      await reportJob(server, service.token, claimed.id, { status: 'printed' });
    }
    if (name === 'canceled') {
      const { api } = await import('./support/api.js');
      await api(server, 'POST', `/api/print_jobs/${jobs[name]}/actions/cancel`, { token: portal.token });
    }
  }
  jobs.zebra = (await submit(server, portal.token, service.printers['Zebra-Labels'].id)).body.data.id;
  await claim(server, service.token, { limit: 1 }); // the oldest queued job is now printing
  ({ page } = await newPage(rig.browser, DESKTOP));
  page.setDefaultTimeout(5000);
  await signIn(page, server.url, ADMIN_EMAIL);
});

afterAll(() => rig?.stop());

test('the Printers tab shows each printer\'s queued and printing counts and its recent jobs', async () => {
  await page.goto(`${rig.server.url}/console/services/${service.id}/printers`);
  const front = page.locator('tr[data-printer="HP-Front"]');
  expect(await front.locator('[data-count=queued]').textContent()).toBe('0');
  expect(await front.locator('[data-count=printing]').textContent()).toBe('1');
  const zebra = page.locator('tr[data-printer="Zebra-Labels"]');
  expect(await zebra.locator('[data-count=queued]').textContent()).toBe('1');
  await front.getByText('Recent jobs').click();
  expect(await front.locator('.recent-jobs li .status').allTextContents()).toEqual(['Printing', 'Canceled', 'Printed']);
  expect(await page.content()).not.toContain('Rx for patient');
  await screenshot(page, 'printers-with-jobs');
});

test('the Print jobs page lists every job newest first, with names, and filters them', async () => {
  await page.getByRole('link', { name: 'Print jobs' }).click();
  expect(await page.locator('h1').textContent()).toBe('Print jobs');
  const ids = await page.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-job')));
  expect(ids).toEqual([jobs.zebra, jobs.queued, jobs.canceled, jobs.printed]);
  const first = page.locator(`tr[data-job="${jobs.zebra}"] td`);
  expect(await first.allTextContents()).toEqual([
    'Queued', 'Zebra-Labels friendly', 'Print service pharmacy_print', 'Portal of pharmacy 7', expect.stringMatching(/^\d{4}-/), expect.stringMatching(/^\d{4}-/),
  ]);
  expect(await page.content()).not.toContain('Rx for patient');
  await screenshot(page, 'print-jobs');

  await page.getByLabel('Status').selectOption('printing');
  await page.getByRole('button', { name: 'Filter' }).click();
  expect(await page.locator('tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-job')))).toEqual([jobs.queued]);

  await page.goto(`${rig.server.url}/console/print-jobs?printer_id=${service.printers['HP-Front'].id}&service_id=${service.id}`);
  expect(await page.locator('tbody tr').count()).toBe(3);
});

test('at 390 px the Print jobs page does not scroll sideways', async () => {
  const { context, page: phone } = await newPage(rig.browser, PHONE);
  await signIn(phone, rig.server.url, ADMIN_EMAIL, undefined, '/console/print-jobs');
  expect(await phone.evaluate(() => document.documentElement.scrollWidth > window.innerWidth + 1)).toBe(false);
  await screenshot(phone, 'print-jobs-390');
  await context.close();
});
