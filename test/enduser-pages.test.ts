// CONTRACT §11 in a real browser (Debian's Chromium): every end-user page (login, second factor, consent, error,
// logout, signed out, /account sign-in, account, second-factor enrolment, recovery codes) in Ukrainian and English,
// on a desktop and at 390 px, with <html lang> right, nothing loaded from another origin, nothing wider than the
// phone, and the language link keeping the user's place. Screenshots go to test/artifacts/enduser/ (git-ignored).
import * as oidc from 'openid-client';
import type { Browser, Page } from 'playwright-core';
import { currentCode } from '../src/domain/secondFactor.js';
import { DESKTOP, PHONE, launchBrowser, screenshot } from './support/browser.js';
import { PASSWORD, createClient, createUser, putConnection, type TestClient, type TestConnection } from './support/internal.js';
import { relyingParty } from './support/oauth.js';
import { startServer, type TestServer } from './support/server.js';

let server: TestServer;
let browser: Browser;
let clinic: TestClient;
let conn: TestConnection;
const REDIRECT = 'https://mis.example/callback';
const AFTER_LOGOUT = 'https://mis.example/signed-out';

beforeAll(async () => {
  server = await startServer();
  clinic = await createClient(server, { name: 'Київська міська клінічна лікарня №1', client_type: 'MSP' });
  const mis = await createClient(server, { name: 'МІС «Лікар»', client_type: 'MIS' });
  conn = await putConnection(server, clinic.id, { consumer_id: mis.id, redirect_uri: REDIRECT, post_logout_redirect_uri: AFTER_LOGOUT });
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

const TEXT = {
  uk: { account: 'Мій обліковий запис', consent: 'запитує доступ', error: 'Щось пішло не так', logout: 'Вийти?', signedOut: 'Ви вийшли з системи' },
  en: { account: 'My account', consent: 'asks for access', error: 'Something went wrong', logout: 'Sign out?', signedOut: 'You have signed out' },
};

describe.each([
  ['uk', 'desktop', DESKTOP], ['en', 'desktop', DESKTOP], ['uk', 'phone', PHONE], ['en', 'phone', PHONE],
] as const)('%s on a %s', (locale, device, viewport) => {
  test('every end-user page', async () => {
    const email = `doctor.${locale}.${device}@hospital.example`;
    await createUser(server, { email, memberships: [{ client_id: clinic.id, scopes: [] }] });
    // The browser's language is what Accept-Language says; no page is given ui_locales.
    const context = await browser.newContext({ viewport, locale: locale === 'uk' ? 'uk-UA' : 'en-GB' });
    const page = await context.newPage();
    const elsewhere: string[] = [];
    page.on('request', (r) => {
      const url = new URL(r.url());
      if (/^https?:$/.test(url.protocol) && url.origin !== server.url && url.origin !== new URL(REDIRECT).origin) elsewhere.push(r.url());
    });
    // The relying party is not on this machine: its answers are made up here, nothing leaves the host.
    await page.route('https://mis.example/**', (route) => route.fulfill({ contentType: 'text/html', body: '<!doctype html><title>MIS</title>' }));

    const check = async (name: string, heading?: string) => {
      expect(await page.getAttribute('html', 'lang')).toBe(locale);
      if (heading) expect(await page.locator('h1').textContent()).toContain(heading);
      // Nothing wider than the screen (390 px on the phone): no sideways scrolling.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      expect({ name, overflow: overflow > 0 ? overflow : 0 }).toEqual({ name, overflow: 0 });
      await screenshot(page, `enduser/${name}-${locale}-${device}`);
    };

    // /account: Gatehouse's own sign-in, the account, the second factor's enrolment and recovery codes.
    await page.goto(`${server.url}/account`);
    await check('account-login');
    await page.locator('#email').fill(email);
    await page.locator('#password').fill(PASSWORD);
    await page.locator('#sign-in').click();
    await page.waitForURL(/\/account(\?|$)/);
    await check('account', TEXT[locale].account);
    await page.locator('#mfa-enrol').click();
    await page.waitForURL(/\/account\/mfa/);
    await check('account-mfa');
    expect(await page.locator('#mfa-qr').evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
    const key = (await page.locator('#mfa-key').textContent())!.replace(/\s/g, '');
    await page.locator('#code').fill(currentCode(key));
    await page.locator('#mfa-confirm').click();
    await page.locator('#recovery-codes').waitFor();
    await check('recovery-codes');
    expect(await page.locator('#recovery-codes li').count()).toBe(10);
    await page.locator('#recovery-continue').click();
    await page.waitForURL(/\/account\?/);

    // An application's sign-in: login, second factor, consent.
    const rp = await relyingParty(server.url, clinic.id, conn.secret);
    const authorize = oidc.buildAuthorizationUrl(rp, {
      redirect_uri: REDIRECT, scope: 'openid profile email', code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256', state: 'st',
    });
    await page.goto(authorize.href);
    await page.waitForURL(/\/interaction\//);
    await check('login');
    await page.locator('#email').fill(email);
    await page.locator('#password').fill(PASSWORD);
    await page.locator('#sign-in').click();
    await page.locator('#code').waitFor();
    await check('second-factor');
    await page.locator('#code').fill(currentCode(key, Date.now() + 30_000));
    await page.locator('#verify').click();
    await page.locator('#approve').waitFor();
    await check('consent', TEXT[locale].consent);
    await page.locator('#approve').click();
    await page.waitForURL(/^https:\/\/mis\.example\/callback\?code=/);

    // The account now lists the application; the language link shows the same page in the other language.
    await page.goto(`${server.url}/account`);
    await check('account-with-grant', TEXT[locale].account);
    expect(await page.locator('li.grant').count()).toBe(1);
    await page.locator('#switch-language').click();
    await page.waitForURL(/\/account\?ui_locales=/);
    expect(await page.getAttribute('html', 'lang')).toBe(locale === 'uk' ? 'en' : 'uk');
    expect(await page.locator('li.grant').count()).toBe(1);

    // An error page, and its language link.
    await page.goto(`${server.url}/auth?client_id=${clinic.id}&redirect_uri=${encodeURIComponent('https://evil.example/cb')}&response_type=code&scope=openid`);
    await check('error', TEXT[locale].error);
    await page.locator('#switch-language').click();
    expect(await page.getAttribute('html', 'lang')).toBe(locale === 'uk' ? 'en' : 'uk');
    expect(await page.locator('#error-code').textContent()).toBe('invalid_redirect_uri');

    // Logout: Gatehouse's page, then back to the application with state; and the signed-out page.
    await page.goto(oidc.buildEndSessionUrl(rp, { client_id: clinic.id, post_logout_redirect_uri: AFTER_LOGOUT, state: 'bye' }).href);
    await check('logout', TEXT[locale].logout);
    await page.locator('#logout-yes').click();
    await page.waitForURL(`${AFTER_LOGOUT}?state=bye`);
    // Signed out already: the end-session request goes straight on to Gatehouse's signed-out page.
    await page.goto(`${server.url}/session/end?client_id=${clinic.id}`);
    await page.waitForURL(/\/session\/end\/success/);
    await check('signed-out', TEXT[locale].signedOut);

    expect(elsewhere).toEqual([]);
    await context.close();
  }, 120_000);
});

test('the language link on the login page keeps the sign-in, in the browser too', async () => {
  const context = await browser.newContext({ viewport: PHONE, locale: 'uk-UA' });
  const page: Page = await context.newPage();
  const rp = await relyingParty(server.url, clinic.id, conn.secret);
  await page.goto(oidc.buildAuthorizationUrl(rp, {
    redirect_uri: REDIRECT, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256',
  }).href);
  await page.waitForURL(/\/interaction\//);
  const uid = new URL(page.url()).pathname;
  expect(await page.getAttribute('html', 'lang')).toBe('uk');
  await page.locator('#switch-language').click();
  await page.waitForURL(/ui_locales=en/);
  expect(new URL(page.url()).pathname).toBe(uid);
  expect(await page.getAttribute('html', 'lang')).toBe('en');
  expect(await page.locator('label[for=email]').textContent()).toBe('Email');
  await screenshot(page, 'enduser/login-switched-to-en-phone');
  await context.close();
}, 60_000);
