// Signing in to the admin console without a real browser: the cookie-jar Browser of support/oauth.ts follows the
// console's authorization-code flow (login page, first-party consent, callback) as a browser would.
import { Browser } from './oauth.js';
import { PASSWORD } from './internal.js';

/** Signs in at `${base}/console` and returns the browser (with its console session) and the page it landed on. */
export async function consoleSignIn(base: string, email: string, password = PASSWORD, browser = new Browser()) {
  let res = await browser.get(`${base}/console`);
  for (let hop = 0; hop < 15; hop++) {
    if (res.status >= 300 && res.status < 400) {
      res = await browser.get(new URL(res.headers.get('location')!, res.url || base).href);
      continue;
    }
    const html = await res.text();
    const login = /action="(\/interaction\/[^"]+\/login)"/.exec(html);
    if (res.status === 200 && login) {
      res = await browser.postForm(new URL(login[1], base).href, { email, password });
      continue;
    }
    return { browser, status: res.status, url: res.url, html };
  }
  throw new Error('too many redirects signing in to the console');
}
