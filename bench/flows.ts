// Minting codes and refresh tokens through real authorization-code flows, before the rounds that redeem them.
// One browser signs in and consents once; its session and grant then let each further /auth redirect straight
// back with a code. Every code has its own PKCE S256 verifier.
import crypto from 'node:crypto';
// The tests' cookie jar over fetch that does not follow redirects.
import { Browser } from '../test/support/oauth.js';
import { BENCH_EMAIL, BENCH_PASSWORD } from './fixtures.js';

export { Browser };

export interface FlowClient {
  issuer: string;
  clientId: string;
  redirectUri: string;
  /** client_secret_basic credentials for the code exchange. */
  basic: string;
}

export interface MintedCode {
  code: string;
  verifier: string;
}

export function basicAuth(clientId: string, secret: string): string {
  return `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`;
}

/** The first request of an authorization-code flow, with a fresh PKCE pair. */
export function authorizationUrl(c: FlowClient, scope: string, extra: Record<string, string> = {}) {
  const verifier = crypto.randomBytes(32).toString('base64url');
  const challenge = crypto.createHash('sha256').update(verifier).digest('base64url');
  const query = new URLSearchParams({
    client_id: c.clientId, redirect_uri: c.redirectUri, response_type: 'code', scope,
    code_challenge: challenge, code_challenge_method: 'S256', state: crypto.randomBytes(8).toString('hex'), ...extra,
  });
  return { url: `${c.issuer}/auth?${query}`, verifier };
}

/** Follows the flow from /auth to the redirect URI, signing in and consenting on the way; returns the code. */
export async function authorize(browser: Browser, c: FlowClient, scope: string, extra: Record<string, string> = {}): Promise<MintedCode> {
  const { url, verifier } = authorizationUrl(c, scope, extra);
  let res = await browser.request(url);
  for (let hop = 0; hop < 12; hop++) {
    if (res.status === 302 || res.status === 303) {
      const location = new URL(res.headers.get('location')!, c.issuer);
      if (location.href.startsWith(c.redirectUri)) {
        const code = location.searchParams.get('code');
        if (!code) throw new Error(`no code in redirect: ${location.search}`);
        return { code, verifier };
      }
      res = await browser.request(location.href);
      continue;
    }
    const html = await res.text();
    if (res.status !== 200) throw new Error(`unexpected ${res.status} at ${res.url}: ${html.slice(0, 300)}`);
    const action = /action="([^"]*\/(login|confirm))"/.exec(html);
    if (!action) throw new Error(`no login or consent form in page: ${html.slice(0, 300)}`);
    const form: Record<string, string> = action[2] === 'login' ? { email: BENCH_EMAIL, password: BENCH_PASSWORD } : {};
    res = await browser.request(new URL(action[1], c.issuer).href, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
  }
  throw new Error('too many redirects');
}

/** Runs `task` `n` times, `concurrency` at a time. */
export async function times<T>(n: number, concurrency: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = new Array(n);
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(concurrency, n) }, async () => {
    while (next < n) {
      const i = next++;
      out[i] = await task(i);
    }
  }));
  return out;
}

/** `n` codes for `scope`, from a browser that already signed in and consented. */
export function mintCodes(browser: Browser, c: FlowClient, n: number, scope = 'openid'): Promise<MintedCode[]> {
  return times(n, 8, () => authorize(browser, c, scope));
}

// A grant holds every code and token issued under it; stock oidc-provider's memory adapter rewrites a grant's
// member list on each issue (O(members)), so thousands of codes under one grant would slow the baseline down.
const CODES_PER_GRANT = 200;

/** `n` codes spread over grants of CODES_PER_GRANT codes, each grant from its own sign-in and consent. */
export async function mintCodesOverGrants(c: FlowClient, n: number): Promise<MintedCode[]> {
  const grants = Math.ceil(n / CODES_PER_GRANT);
  const chunks = await times(grants, 2, async (i) => {
    const browser = new Browser();
    await authorize(browser, c, 'openid');
    return mintCodes(browser, c, Math.min(CODES_PER_GRANT, n - i * CODES_PER_GRANT));
  });
  return chunks.flat();
}

/** The form body of a code exchange (everything but the client's credentials, sent as Basic). */
export function codeExchangeBody(c: FlowClient, m: MintedCode): string {
  return new URLSearchParams({ grant_type: 'authorization_code', code: m.code, redirect_uri: c.redirectUri, code_verifier: m.verifier }).toString();
}

export async function postForm(url: string, body: string, authorization: string): Promise<Record<string, unknown>> {
  const res = await fetch(url, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization }, body,
  });
  const json = await res.json() as Record<string, unknown>;
  if (res.status !== 200) throw new Error(`${url} → ${res.status} ${JSON.stringify(json)}`);
  return json;
}

/**
 * `n` refresh tokens, each from its own browser, sign-in and consent (offline_access needs prompt=consent) and
 * code exchange, so each refresh chain has a grant of its own.
 */
export function mintRefreshTokens(c: FlowClient, n: number): Promise<string[]> {
  return times(n, 2, async () => {
    const minted = await authorize(new Browser(), c, 'openid offline_access', { prompt: 'consent' });
    const tokens = await postForm(`${c.issuer}/token`, codeExchangeBody(c, minted), c.basic);
    if (typeof tokens.refresh_token !== 'string') throw new Error(`no refresh token: ${JSON.stringify(tokens)}`);
    return tokens.refresh_token;
  });
}
