// CONTRACT §3 "Logout" (OpenID Connect RP-Initiated Logout 1.0) and §11: a connection's post_logout_redirect_uri,
// set through PUT /internal/clients/{id}/connections and the CLI; the end-session URL that openid-client builds
// returns there with state; an unregistered one is a localised 400 error page; Gatehouse's own localised logout and
// signed-out pages load nothing from another origin.
import * as oidc from 'openid-client';
import { call, createClient, createUser, putConnection, type TestClient, type TestConnection } from './support/internal.js';
import { Browser, relyingParty, signIn } from './support/oauth.js';
import { runCli } from './support/process.js';
import { startServer, type TestServer } from './support/server.js';

let server: TestServer;
let clinic: TestClient;
let mis: TestClient;
let conn: TestConnection;
const REDIRECT = 'https://mis.example/callback';
const AFTER_LOGOUT = 'https://mis.example/signed-out';
const EMAIL = 'pharmacist@clinic.example';

beforeAll(async () => {
  server = await startServer();
  clinic = await createClient(server, { name: 'Аптека «Здоров’я»', client_type: 'PHARMACY' });
  mis = await createClient(server, { name: 'MIS', client_type: 'MIS' });
  conn = await putConnection(server, clinic.id, { consumer_id: mis.id, redirect_uri: REDIRECT, post_logout_redirect_uri: AFTER_LOGOUT });
  await createUser(server, { email: EMAIL, memberships: [{ client_id: clinic.id, scopes: [] }] });
});

afterAll(() => server?.stop());

async function signedIn() {
  const rp = await relyingParty(server.url, clinic.id, conn.secret);
  const { tokens, browser } = await signIn(rp, server.url, { redirectUri: REDIRECT, scope: 'openid', email: EMAIL });
  return { rp, tokens, browser };
}

/** The page's own form (oidc-provider's xsrf) posted as the "Yes, sign me out" button would. */
async function confirmLogout(browser: Browser, html: string) {
  const action = /<form id="op.logoutForm" method="post" action="([^"]+)"/.exec(html)![1];
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(html)![1];
  return browser.postForm(new URL(action, server.url).href, { xsrf, logout: 'yes' });
}

function assertOwnPage(res: Response, html: string) {
  expect(res.headers.get('content-security-policy')).toMatch(/default-src 'self'.*frame-ancestors 'none'/);
  // Nothing from another origin: no fonts, stylesheets, scripts or images from elsewhere (oidc-provider's default
  // logout page loads fonts from a third party).
  expect(html).not.toMatch(/fonts\.googleapis|fonts\.gstatic/);
  expect(html).not.toMatch(/<(link|script|img)[^>]+(href|src)="(https?:)?\/\//);
}

test('the connection keeps its post_logout_redirect_uri; the same URI rules apply (422 otherwise)', async () => {
  expect(conn).toMatchObject({ post_logout_redirect_uri: AFTER_LOGOUT, redirect_uri: REDIRECT });
  const bad = await call(server, 'PUT', `/internal/clients/${clinic.id}/connections`, {
    consumer_id: mis.id, post_logout_redirect_uri: 'http://mis.example/out',
  });
  expect(bad.status).toBe(422);
  expect(bad.body.error.invalid[0]).toMatchObject({ entry: '$.post_logout_redirect_uri', entry_type: 'json_data_property' });
  // Omitted, it is kept (like redirect_uri).
  const again = await putConnection(server, clinic.id, { consumer_id: mis.id });
  expect(again.post_logout_redirect_uri).toBe(AFTER_LOGOUT);
  conn = again;
});

test('RP-initiated logout through openid-client returns to the registered post_logout_redirect_uri with state', async () => {
  const { rp, tokens, browser } = await signedIn();
  const state = oidc.randomState();
  const url = oidc.buildEndSessionUrl(rp, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: AFTER_LOGOUT, state });
  const page = await browser.get(url.href);
  expect(page.status).toBe(200);
  const html = await page.text();
  assertOwnPage(page, html);
  expect(html).toMatch(/<html lang="uk">/);
  expect(html).toContain('Вийти?');
  expect(html).toContain('Аптека «Здоров’я»');
  // The form posts to Gatehouse and ends in a redirect to the relying party: its origin is allowed as a form action.
  expect(page.headers.get('content-security-policy')).toContain("form-action 'self' https://mis.example");

  const done = await confirmLogout(browser, html);
  expect(done.status).toBe(303);
  const back = new URL(done.headers.get('location')!);
  expect(`${back.origin}${back.pathname}`).toBe(AFTER_LOGOUT);
  expect(back.searchParams.get('state')).toBe(state);

  // The session is gone: a new authorization asks for the password again.
  const auth = oidc.buildAuthorizationUrl(rp, {
    redirect_uri: REDIRECT, scope: 'openid', code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()), code_challenge_method: 'S256',
  });
  const login = await browser.get(auth.href);
  const interaction = await browser.get(new URL(login.headers.get('location')!, server.url).href);
  expect(await interaction.text()).toContain('name="password"');
});

test('with client_id instead of id_token_hint, in English when ui_locales asks for it', async () => {
  const { browser } = await signedIn();
  const url = new URL('/session/end', server.url);
  url.search = new URLSearchParams({ client_id: clinic.id, post_logout_redirect_uri: AFTER_LOGOUT, state: 's-1', ui_locales: 'en' }).toString();
  const page = await browser.get(url.href);
  const html = await page.text();
  expect(page.status).toBe(200);
  expect(html).toMatch(/<html lang="en">/);
  expect(html).toContain('Sign out?');
  // The other language's link shows this same logout page in Ukrainian.
  const link = /id="switch-language" href="([^"]+)"/.exec(html)![1].replace(/&amp;/g, '&');
  expect(new URL(link, server.url).searchParams.get('ui_locales')).toBe('uk');
  expect(new URL(link, server.url).searchParams.get('post_logout_redirect_uri')).toBe(AFTER_LOGOUT);
  const uk = await browser.get(new URL(link, server.url).href);
  expect(await uk.text()).toContain('Вийти?');

  const done = await confirmLogout(browser, await (await browser.get(url.href)).text());
  expect(done.headers.get('location')).toBe(`${AFTER_LOGOUT}?state=s-1`);
});

test.each([
  ['en', /<html lang="en">/, /post_logout_redirect_uri not registered/],
  ['uk', /<html lang="uk">/, /post_logout_redirect_uri не зареєстровано/],
])('an unregistered post_logout_redirect_uri is a 400 error page, never a redirect (%s)', async (locale, lang, text) => {
  const { rp, tokens, browser } = await signedIn();
  for (const uri of ['https://evil.example/out', `${AFTER_LOGOUT}/x`, REDIRECT]) {
    const url = oidc.buildEndSessionUrl(rp, { id_token_hint: tokens.id_token!, post_logout_redirect_uri: uri, ui_locales: locale });
    const res = await browser.request(url.href, { headers: { accept: 'text/html' } });
    expect(res.status).toBe(400);
    expect(res.headers.get('location')).toBeNull();
    const html = await res.text();
    assertOwnPage(res, html);
    expect(html).toMatch(lang);
    expect(html).toMatch(text);
  }
});

test("another client's post_logout_redirect_uri is not this client's", async () => {
  const other = await createClient(server, { name: 'Other clinic', client_type: 'MSP' });
  await putConnection(server, other.id, { consumer_id: mis.id, redirect_uri: 'https://other.example/cb', post_logout_redirect_uri: 'https://other.example/out' });
  const res = await fetch(`${server.url}/session/end?${new URLSearchParams({ client_id: clinic.id, post_logout_redirect_uri: 'https://other.example/out' })}`, { redirect: 'manual' });
  expect(res.status).toBe(400);
});

test('without post_logout_redirect_uri the user lands on Gatehouse\'s own signed-out page, in the language chosen', async () => {
  const { browser } = await signedIn();
  const page = await browser.get(`${server.url}/session/end?${new URLSearchParams({ client_id: clinic.id, ui_locales: 'en' })}`);
  const done = await confirmLogout(browser, await page.text());
  expect(done.status).toBe(303);
  const success = await browser.get(new URL(done.headers.get('location')!, server.url).href);
  const html = await success.text();
  expect(success.status).toBe(200);
  assertOwnPage(success, html);
  expect(html).toMatch(/<html lang="en">/);
  expect(html).toContain('You have signed out');

  const fresh = new Browser();
  const uk = await fresh.get(new URL(done.headers.get('location')!, server.url).href);
  const ukHtml = await uk.text();
  expect(ukHtml).toMatch(/<html lang="uk">/);
  expect(ukHtml).toContain('Ви вийшли з системи');
});

test('the CLI sets a post_logout_redirect_uri too, with the same rules', () => {
  const env = { DATABASE_URL: server.databaseUrl, SECRET_PEPPER: server.env.SECRET_PEPPER };
  const ok = runCli(env, ['connections:put', '--client', clinic.id, '--consumer', mis.id, '--post-logout-redirect-uri', 'https://mis.example/bye']);
  expect(ok.status).toBe(0);
  expect(JSON.parse(ok.stdout).data).toMatchObject({ post_logout_redirect_uri: 'https://mis.example/bye', redirect_uri: REDIRECT });
  const bad = runCli(env, ['connections:put', '--client', clinic.id, '--consumer', mis.id, '--post-logout-redirect-uri', 'ftp://x']);
  expect(bad.status).toBe(2);
  expect(bad.stderr).toMatch(/post_logout_redirect_uri/);
});
