// Sign-in to the console through Gatehouse's own authorization-code flow with PKCE (RFC 7636, CONTRACT §7): the
// console is the first-party confidential client that admin:bootstrap registered (src/domain/consoleClient.ts). Its
// session lives in PostgreSQL; the browser holds only a signed, httpOnly, SameSite cookie with an opaque id.
import crypto from 'node:crypto';
import Router from '@koa/router';
import Cookies from 'cookies';
import type { Context, Next } from 'koa';
import type Provider from 'oidc-provider';
import type { EntityManager } from 'typeorm';
import { ADMIN_PERMISSIONS } from '../domain/clientTypes.js';
import { type ConsoleRegistration, consoleRedirectUri, consoleSecret } from '../domain/consoleClient.js';
import {
  SESSION_TTL_SECONDS, createConsoleSession, endConsoleSession, findConsoleSession, randomToken, startConsoleLogin, takeConsoleLogin,
} from '../domain/consoleSessions.js';
import { permissionsIn } from '../domain/scopePolicy.js';
import { hasSecondFactor } from '../domain/secondFactor.js';
import { startAccountSession } from '../account/session.js';
import type { Secrets } from '../domain/secrets.js';
import { seeOther, text } from './forms.js';
import { page } from './render.js';
import { actorOf, csrfTokens, signedIn } from './session.js';

const SESSION_COOKIE = 'gatehouse_console';
const LOGIN_COOKIE = 'gatehouse_console_login';

/** What the console asks for: the ADMIN permission set; the server narrows it to the client's permissions and the membership. */
export const CONSOLE_SCOPES = ['openid', ...ADMIN_PERMISSIONS];

export interface SignInDeps {
  manager: EntityManager;
  secrets: Secrets;
  provider: Provider;
  issuer: string;
  cookieKeys: string[];
  registration: () => Promise<ConsoleRegistration | null>;
  /** CONTRACT §11 ADMIN_MFA: `required` sends a member without a second factor to enrol before letting them in. */
  adminMfa: 'optional' | 'required';
}

/** Only a path inside the console, so the sign-in can never be turned into an open redirect. */
function returnPath(value: unknown): string {
  return typeof value === 'string' && /^\/console(\/[^\\]*)?$/.test(value) && !value.startsWith('//') ? value : '/console';
}

export function signIn({ manager, secrets, provider, issuer, cookieKeys, registration, adminMfa }: SignInDeps) {
  const secure = issuer.startsWith('https:');
  const cookieOptions = { httpOnly: true, sameSite: 'lax' as const, path: '/console', secure, signed: true, overwrite: true };
  const cookies = (ctx: Context) => new Cookies(ctx.req, ctx.res, { keys: cookieKeys, secure });
  const redirectUri = consoleRedirectUri(issuer);

  const notSetUp = (ctx: Context) => page(ctx, 'message.njk', {
    title: 'Console not set up', heading: 'The admin console is not set up yet',
    message: 'An operator must run `npm run cli -- admin:bootstrap --email <email>` first.',
  }, 503);

  const failed = (ctx: Context, message: string, status = 400) => page(ctx, 'message.njk', {
    title: 'Sign-in failed', heading: 'Sign-in could not be completed', message, signInAgain: true,
  }, status);

  const router = new Router();

  router.get('/login', async (ctx) => {
    const console = await registration();
    if (!console) return notSetUp(ctx);
    const state = randomToken();
    const codeVerifier = randomToken();
    await startConsoleLogin(manager, state, { codeVerifier, returnTo: returnPath(ctx.query.return_to) });
    cookies(ctx).set(LOGIN_COOKIE, state, { ...cookieOptions, maxAge: 10 * 60 * 1000 });
    const url = new URL(provider.urlFor('authorization'));
    url.search = new URLSearchParams({
      client_id: console.clientId,
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: CONSOLE_SCOPES.join(' '),
      state,
      code_challenge: crypto.createHash('sha256').update(codeVerifier).digest('base64url'),
      code_challenge_method: 'S256',
    }).toString();
    ctx.set('cache-control', 'no-store');
    ctx.redirect(url.href);
  });

  router.get('/callback', async (ctx) => {
    const console = await registration();
    if (!console) return notSetUp(ctx);
    const jar = cookies(ctx);
    const state = text(ctx.query.state);
    const expected = jar.get(LOGIN_COOKIE, { signed: true });
    jar.set(LOGIN_COOKIE, null, cookieOptions);
    // RFC 6749 §10.12: the state must be the one this browser started with.
    const login = state && state === expected ? await takeConsoleLogin(manager, state) : null;
    if (!login) return failed(ctx, 'The sign-in link expired or was started in another browser. Start again.');
    if (ctx.query.iss !== undefined && ctx.query.iss !== issuer) return failed(ctx, 'The answer came from another server.');
    if (ctx.query.error === 'access_denied') {
      return page(ctx, 'message.njk', {
        title: 'Not allowed', heading: 'Your account may not use the admin console',
        message: 'You are not a member of the administration client, or you cancelled. Ask an administrator for access.',
        signInAgain: true,
      }, 403);
    }
    if (ctx.query.error !== undefined) return failed(ctx, `The server answered: ${text(ctx.query.error)} ${text(ctx.query.error_description)}`);
    const code = text(ctx.query.code);
    if (!code) return failed(ctx, 'The answer carried no authorization code.');

    // This very process's token endpoint, over loopback on the port this request came in on: the public ISSUER
    // may not be reachable from inside (TLS at a proxy, no hairpin NAT), and the answer never leaves the host.
    const tokenEndpoint = `http://127.0.0.1:${ctx.req.socket.localPort}${new URL(provider.urlFor('token')).pathname}`;
    const res = await fetch(tokenEndpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${encodeURIComponent(console.clientId)}:${encodeURIComponent(consoleSecret(secrets).secret)}`).toString('base64')}`,
      },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: redirectUri, code_verifier: login.codeVerifier }),
    });
    const tokens = (await res.json().catch(() => ({}))) as { access_token?: string; error?: string; error_description?: string };
    if (!res.ok || typeof tokens.access_token !== 'string') {
      return failed(ctx, `The authorization code was not accepted: ${tokens.error ?? res.status} ${tokens.error_description ?? ''}`);
    }
    // The token's own record says who signed in and what was granted: requested ∩ client permissions ∩ membership.
    const token = await provider.AccessToken.find(tokens.access_token);
    if (!token?.accountId) return failed(ctx, 'The access token could not be read.');
    if (adminMfa === 'required' && !(await hasSecondFactor(manager, token.accountId))) {
      // Signed in with the password just now: /account lets them enrol, then they come back here.
      await startAccountSession(ctx, { manager, issuer, cookieKeys }, { id: token.accountId });
      return ctx.redirect(`/account/mfa?${new URLSearchParams({ required: 'admin', return_to: '/console' })}`);
    }
    const actor = { type: 'user' as const, id: token.accountId, requestId: ctx.state.requestId ?? null };
    const sessionId = await createConsoleSession(manager, actor, permissionsIn(token.scope), csrfTokens.secretSync());
    jar.set(SESSION_COOKIE, sessionId, { ...cookieOptions, maxAge: SESSION_TTL_SECONDS * 1000 });
    ctx.redirect(login.returnTo);
  });

  router.get('/signed-out', (ctx) => page(ctx, 'message.njk', {
    title: 'Signed out', heading: 'You have signed out', message: 'Your console session has ended.', signInAgain: true,
  }));

  /** Pages behind it need a live session; without one a GET goes to sign-in and comes back. */
  async function requireSession(ctx: Context, next: Next) {
    const console = await registration();
    if (!console) return notSetUp(ctx);
    const sessionId = cookies(ctx).get(SESSION_COOKIE, { signed: true });
    const found = sessionId ? await findConsoleSession(manager, sessionId, console.clientId) : null;
    // ADMIN_MFA=required holds for sessions made before it was set or before the second factor was removed: such a
    // session counts as none, so the sign-in (and its callback's enrolment step) comes first.
    const session = found && (adminMfa !== 'required' || found.secondFactor) ? found : null;
    if (!session) {
      if (ctx.method === 'GET') return ctx.redirect(`/console/login?${new URLSearchParams({ return_to: ctx.url })}`);
      return page(ctx, 'message.njk', {
        title: 'Signed out', heading: 'Your session has ended', message: 'Nothing was changed. Sign in again and repeat the action.', signInAgain: true,
      }, 401);
    }
    ctx.state.console = { ...session, sessionId };
    await next();
  }

  // Mounted behind requireSession and the CSRF check, like every other form.
  const signOut = new Router();
  signOut.post('/logout', async (ctx) => {
    await endConsoleSession(manager, actorOf(ctx), signedIn(ctx).sessionId);
    // Ends this browser's sign-in at the authorization server too, so the next console sign-in asks for the password.
    const serverSession = await provider.Session.get(ctx as unknown as Parameters<typeof provider.Session.get>[0]);
    if (serverSession.accountId) await serverSession.destroy();
    cookies(ctx).set(SESSION_COOKIE, null, cookieOptions);
    seeOther(ctx, '/console/signed-out');
  });

  return { router, signOut, requireSession };
}
