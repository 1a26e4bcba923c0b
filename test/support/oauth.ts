// A relying party (openid-client, a real OAuth client library) and a minimal browser (fetch with a cookie jar
// that follows redirects by hand), to drive the authorization-code flow end to end.
import * as oidc from 'openid-client';
import { PASSWORD } from './internal.js';

export type AuthMethod = 'basic' | 'post';

export async function relyingParty(issuer: string, clientId: string, secret: string, method: AuthMethod = 'basic') {
  const auth = method === 'basic' ? oidc.ClientSecretBasic(secret) : oidc.ClientSecretPost(secret);
  return oidc.discovery(new URL(issuer), clientId, { client_secret: secret }, auth, { execute: [oidc.allowInsecureRequests] });
}

export class Browser {
  readonly cookies = new Map<string, string>();

  async request(url: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    if (this.cookies.size) headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(url, { ...init, headers, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      if (!value || /expires=Thu, 01 Jan 1970/i.test(line)) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
    return res;
  }

  get(url: string) {
    return this.request(url);
  }

  postForm(url: string, form: Record<string, string>) {
    return this.request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
  }
}

export interface AuthorizeOptions {
  redirectUri: string;
  scope: string;
  email: string;
  password?: string;
  prompt?: string;
  browser?: Browser;
  /** Stop at the first page instead of signing in (for error-page tests). */
  extra?: Record<string, string>;
}

export interface Authorized {
  /** Where the server finally sent the browser: the redirect URI with code (or error) in the query. */
  callbackUrl: URL;
  verifier: string;
  state: string;
  browser: Browser;
}

/** Runs the browser side of the flow: authorization request, login, consent, back to the redirect URI. */
export async function authorize(config: oidc.Configuration, issuer: string, o: AuthorizeOptions): Promise<Authorized> {
  const browser = o.browser ?? new Browser();
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: o.redirectUri,
    scope: o.scope,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    ...(o.prompt ? { prompt: o.prompt } : {}),
    ...o.extra,
  });
  let res = await browser.get(url.href);
  for (let hop = 0; hop < 12; hop++) {
    if (res.status === 303 || res.status === 302) {
      const location = new URL(res.headers.get('location')!, issuer);
      if (location.href.startsWith(o.redirectUri)) return { callbackUrl: location, verifier, state, browser };
      res = await browser.get(location.href);
      continue;
    }
    if (res.status !== 200) throw new Error(`unexpected ${res.status} at ${res.url}: ${await res.text()}`);
    const html = await res.text();
    const action = /action="([^"]*\/(login|confirm))"/.exec(html);
    if (!action) throw new Error(`no login or consent form in page: ${html.slice(0, 300)}`);
    const target = new URL(action[1], issuer).href;
    res = action[2] === 'login'
      ? await browser.postForm(target, { email: o.email, password: o.password ?? PASSWORD })
      : await browser.postForm(target, {});
  }
  throw new Error('too many redirects');
}

/** authorize() and then the code exchange through openid-client. */
export async function signIn(config: oidc.Configuration, issuer: string, o: AuthorizeOptions) {
  const a = await authorize(config, issuer, o);
  const tokens = await oidc.authorizationCodeGrant(config, a.callbackUrl, { pkceCodeVerifier: a.verifier, expectedState: a.state });
  return { ...a, tokens };
}

/** A raw form POST to the token endpoint (for attacks a well-behaved library would not send). */
export async function tokenRequest(issuer: string, form: Record<string, string>, basic?: [string, string]) {
  const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded' };
  if (basic) headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(basic[0])}:${encodeURIComponent(basic[1])}`).toString('base64')}`;
  const res = await fetch(`${issuer}/token`, { method: 'POST', headers, body: new URLSearchParams(form).toString() });
  return { status: res.status, body: await res.json() as Record<string, unknown> };
}

export async function introspect(issuer: string, token: string, basic: [string, string]) {
  const res = await fetch(`${issuer}/token/introspection`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${basic[0]}:${basic[1]}`).toString('base64')}`,
    },
    body: new URLSearchParams({ token }).toString(),
  });
  return { status: res.status, body: await res.json() as Record<string, unknown> };
}

export async function clientCredentials(issuer: string, clientId: string, secret: string, scope?: string) {
  return tokenRequest(issuer, { grant_type: 'client_credentials', ...(scope ? { scope } : {}) }, [clientId, secret]);
}
