// CONTRACT §11 languages: end-user pages in Ukrainian and English, chosen by ui_locales, then Accept-Language, then
// DEFAULT_LOCALE (default uk); <html lang> says which; each page links to the other language, keeping the user's place.
import * as oidc from 'openid-client';
import { ConfigError, loadConfig } from '../src/config.js';
import { catalogueKeys, chooseLocale } from '../src/http/i18n.js';
import { createClient, createUser, putConnection, type TestClient, type TestConnection } from './support/internal.js';
import { Browser, relyingParty } from './support/oauth.js';
import { startServer, type TestServer } from './support/server.js';

let server: TestServer;
let clinic: TestClient;
let conn: TestConnection;
const REDIRECT = 'https://mis.example/callback';
const EMAIL = 'doctor@hospital.example';

beforeAll(async () => {
  server = await startServer();
  clinic = await createClient(server, { name: 'Лікарня №1', client_type: 'MSP' });
  const mis = await createClient(server, { name: 'MIS', client_type: 'MIS' });
  conn = await putConnection(server, clinic.id, { consumer_id: mis.id, redirect_uri: REDIRECT });
  await createUser(server, { email: EMAIL, memberships: [{ client_id: clinic.id, scopes: [] }] });
});

afterAll(() => server?.stop());

describe('the negotiation order', () => {
  test.each([
    ['en', 'uk', 'uk', 'en'],
    ['de en-GB', 'uk', 'uk', 'en'],
    ['uk-UA', 'en', 'en', 'uk'],
    ['de', 'en-US,en;q=0.9', 'uk', 'en'],
    [undefined, 'ru, en;q=0.5', 'uk', 'en'],
    [undefined, 'uk-UA,uk;q=0.9,en;q=0.8', 'en', 'uk'],
    [undefined, 'ru, de', 'uk', 'uk'],
    [undefined, 'ru, de', 'en', 'en'],
    [undefined, undefined, 'en', 'en'],
    [undefined, undefined, 'uk', 'uk'],
    [undefined, '*', 'en', 'en'],
    [undefined, '*, uk;q=0.1', 'en', 'uk'],
  ] as const)('ui_locales %j, Accept-Language %j, default %s → %s', (ui, accept, fallback, expected) => {
    expect(chooseLocale(ui, accept, fallback)).toBe(expected);
  });

  test('DEFAULT_LOCALE is uk unless set to en; anything else stops the process with a line naming it', () => {
    expect(loadConfig({}).defaultLocale).toBe('uk');
    expect(loadConfig({ DEFAULT_LOCALE: 'en' }).defaultLocale).toBe('en');
    expect(() => loadConfig({ DEFAULT_LOCALE: 'ru' })).toThrow(ConfigError);
    expect(() => loadConfig({ DEFAULT_LOCALE: 'ru' })).toThrow(/^DEFAULT_LOCALE: /);
  });

  test('both catalogues say everything (Ukrainian has more plural forms, not fewer keys)', () => {
    const base = (keys: string[]) => [...new Set(keys.map((k) => k.replace(/_(one|few|many|other)$/, '')))].sort();
    expect(base(catalogueKeys('uk'))).toEqual(base(catalogueKeys('en')));
    expect(catalogueKeys('uk').filter((k) => /_(one|few|many|other)$/.test(k)).length).toBeGreaterThan(0);
  });
});

/** An authorization request up to its login page; returns the page and where it is. */
async function loginPage(extra: Record<string, string> = {}, headers: Record<string, string> = {}, target = server) {
  const rp = await relyingParty(target.url, clinic.id, conn.secret);
  const browser = new Browser();
  const url = oidc.buildAuthorizationUrl(rp, {
    redirect_uri: REDIRECT, scope: 'openid profile', code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
    code_challenge_method: 'S256', prompt: 'consent', ...extra,
  });
  const auth = await browser.request(url.href, { headers });
  const location = new URL(auth.headers.get('location')!, target.url);
  const page = await browser.request(location.href, { headers });
  return { browser, location, page, html: await page.text() };
}

function langOf(html: string) {
  return /<html lang="([^"]+)">/.exec(html)?.[1];
}

function switchLink(html: string) {
  return /id="switch-language" href="([^"]+)"/.exec(html)![1].replace(/&amp;/g, '&');
}

describe('pages', () => {
  test('without ui_locales or Accept-Language the login page is Ukrainian', async () => {
    const { html } = await loginPage();
    expect(langOf(html)).toBe('uk');
    expect(html).toContain('Електронна пошта');
    expect(html).toContain('Увійти');
    expect(html).toContain('Лікарня №1');
  });

  test('Accept-Language chooses when ui_locales does not', async () => {
    const { html } = await loginPage({}, { 'accept-language': 'en-GB,en;q=0.9' });
    expect(langOf(html)).toBe('en');
    expect(html).toContain('Email');
  });

  test('ui_locales wins over Accept-Language', async () => {
    const { html } = await loginPage({ ui_locales: 'uk' }, { 'accept-language': 'en' });
    expect(langOf(html)).toBe('uk');
    const en = await loginPage({ ui_locales: 'en' }, { 'accept-language': 'uk' });
    expect(langOf(en.html)).toBe('en');
  });

  test('DEFAULT_LOCALE=en makes English the fallback', async () => {
    const other = await startServer({ env: { DEFAULT_LOCALE: 'en' }, databaseUrl: server.databaseUrl });
    try {
      const { html } = await loginPage({}, {}, other);
      expect(langOf(html)).toBe('en');
      const { html: asked } = await loginPage({}, { 'accept-language': 'uk' }, other);
      expect(langOf(asked)).toBe('uk');
    } finally {
      await other.gatehouse.close();
    }
  });

  test('the language link keeps the user where they are, and the choice holds for the rest of the sign-in', async () => {
    const { browser, location, html } = await loginPage();
    expect(langOf(html)).toBe('uk');
    const link = new URL(switchLink(html), server.url);
    expect(link.pathname).toBe(location.pathname);
    expect(link.searchParams.get('ui_locales')).toBe('en');
    const en = await browser.get(link.href);
    const enHtml = await en.text();
    expect(en.status).toBe(200);
    expect(langOf(enHtml)).toBe('en');
    expect(enHtml).toContain(`action="${location.pathname}/login"`);
    expect(switchLink(enHtml)).toBe(`${location.pathname}?ui_locales=uk`);

    // A wrong password answers in English; the consent page after the right one too.
    const wrong = await browser.postForm(`${server.url}${location.pathname}/login`, { email: EMAIL, password: 'not the password at all' });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('Wrong email or password.');
    let res = await browser.postForm(`${server.url}${location.pathname}/login`, { email: EMAIL, password: 'correct horse battery staple' });
    while (res.status === 303) res = await browser.get(new URL(res.headers.get('location')!, server.url).href);
    const consent = await res.text();
    expect(langOf(consent)).toBe('en');
    expect(consent).toContain('Лікарня №1 asks for access');
    expect(consent).toContain('see your name');
  });

  test('the consent page in Ukrainian', async () => {
    const { browser, location } = await loginPage({ ui_locales: 'uk' });
    let res = await browser.postForm(`${server.url}${location.pathname}/login`, { email: EMAIL, password: 'correct horse battery staple' });
    while (res.status === 303) res = await browser.get(new URL(res.headers.get('location')!, server.url).href);
    const html = await res.text();
    expect(langOf(html)).toBe('uk');
    expect(html).toContain('«Лікарня №1» запитує доступ');
    expect(html).toContain('бачити ваше ім’я');
    expect(html).toContain('Дозволити');
  });

  test('error pages follow the same order; their language link shows the same error', async () => {
    const url = `${server.url}/auth?client_id=${clinic.id}&redirect_uri=${encodeURIComponent('https://evil.example/cb')}&response_type=code&scope=openid`;
    const uk = await fetch(url, { headers: { accept: 'text/html' } });
    const ukHtml = await uk.text();
    expect(uk.status).toBe(400);
    expect(langOf(ukHtml)).toBe('uk');
    expect(ukHtml).toContain('Щось пішло не так');
    const en = await fetch(`${server.url}${switchLink(ukHtml)}`, { headers: { accept: 'text/html' } });
    const enHtml = await en.text();
    expect(en.status).toBe(400);
    expect(langOf(enHtml)).toBe('en');
    expect(enHtml).toContain('Something went wrong');
    const byHeader = await fetch(url, { headers: { accept: 'text/html', 'accept-language': 'en' } });
    expect(langOf(await byHeader.text())).toBe('en');
  });

  test('/account pages too', async () => {
    const res = await fetch(`${server.url}/account`, { redirect: 'manual', headers: { 'accept-language': 'en' } });
    expect(res.status).toBe(302);
    const login = await fetch(new URL(res.headers.get('location')!, server.url), { headers: { 'accept-language': 'en' } });
    const html = await login.text();
    expect(langOf(html)).toBe('en');
    expect(switchLink(html)).toBe('/account/login?ui_locales=uk');
    const uk = await fetch(`${server.url}/account/login?ui_locales=uk`, { headers: { 'accept-language': 'en' } });
    const ukHtml = await uk.text();
    expect(langOf(ukHtml)).toBe('uk');
    // The form posts to the plain address and carries the choice: a wrong password answers in the same language.
    expect(ukHtml).toContain('<form method="post" action="/account/login"');
    expect(ukHtml).toContain('<input type="hidden" name="ui_locales" value="uk">');
    const browser = new Browser();
    const wrong = await browser.request(`${server.url}/account/login`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'en' },
      body: new URLSearchParams({ ui_locales: 'uk', email: EMAIL, password: 'not the password at all' }).toString(),
    });
    expect(wrong.status).toBe(401);
    expect(await wrong.text()).toContain('Неправильна електронна пошта або пароль.');
    const ok = await browser.request(`${server.url}/account/login`, {
      method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', 'accept-language': 'en' },
      body: new URLSearchParams({ ui_locales: 'uk', email: EMAIL, password: 'correct horse battery staple' }).toString(),
    });
    expect(ok.headers.get('location')).toBe('/account?ui_locales=uk');
    const account = await browser.request(`${server.url}${ok.headers.get('location')}`, { headers: { 'accept-language': 'en' } });
    expect(langOf(await account.text())).toBe('uk');
  });
});
