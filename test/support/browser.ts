// A real browser for console tests: Debian's Chromium driven by playwright-core (npx playwright install cannot
// work here), and helpers to sign in to the console and keep screenshots for a person to look at.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { bootstrapAdmin } from '../../src/domain/bootstrap.js';
import { PASSWORD } from './internal.js';
import { startServer, type TestServer } from './server.js';

export const ARTIFACTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../artifacts');

export async function launchBrowser(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', ...extraArgs],
  });
}

export const DESKTOP = { width: 1280, height: 900 };
export const PHONE = { width: 390, height: 844 };

export async function newPage(browser: Browser, viewport = DESKTOP): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  return { context, page };
}

/** Signs in through the console's authorization-code flow: the login page (the console asks no consent). */
export async function signIn(page: Page, baseUrl: string, email: string, password = PASSWORD, path = '/console'): Promise<void> {
  await page.goto(`${baseUrl}${path}`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForLoadState();
  if (new URL(page.url()).pathname.startsWith('/interaction/')) {
    const allow = page.getByRole('button', { name: /allow|approve|continue|confirm/i }).first();
    if (await allow.count()) {
      await allow.click();
      await page.waitForLoadState();
    }
  }
}

/** Saves a screenshot under test/artifacts/ (ignored by git); the viewport only for an open modal dialog. */
export async function screenshot(page: Page, name: string, fullPage = true): Promise<string> {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage });
  return file;
}

export const ADMIN_EMAIL = 'admin@example.test';

export interface ConsoleRig {
  server: TestServer;
  browser: Browser;
  /** The ADMIN client that admin:bootstrap made: the console's own client. */
  adminClientId: string;
  stop(): Promise<void>;
}

/** A Gatehouse on a fresh database, bootstrapped as an operator would (admin:bootstrap), and a browser. */
export async function startConsole(): Promise<ConsoleRig> {
  const server = await startServer();
  const { manager } = server.gatehouse.db.dataSource;
  const { clientId } = await bootstrapAdmin(manager, server.gatehouse.secrets, server.url, ADMIN_EMAIL, PASSWORD);
  const browser = await launchBrowser();
  return {
    server, browser, adminClientId: clientId,
    async stop() {
      await browser.close();
      await server.stop();
    },
  };
}
