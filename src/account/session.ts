// Signing in to /account (CONTRACT §11) through Gatehouse's own sign-in steps (src/domain/signInSteps.ts: the
// login throttle, the second factor, the sign-in audit), and the /account session: a signed, httpOnly, SameSite
// cookie with a random id whose hash is kept in PostgreSQL (src/domain/accountSessions.ts).
import Router from '@koa/router';
import Cookies from 'cookies';
import Tokens from 'csrf';
import type { Context, Next } from 'koa';
import type { EntityManager } from 'typeorm';
import {
  ACCOUNT_SESSION_TTL_SECONDS, type AccountSession, createAccountSession, endAccountSession, findAccountSession,
} from '../domain/accountSessions.js';
import type { Actor } from '../domain/audit.js';
import type { LoginThrottle } from '../domain/loginThrottle.js';
import type { Secrets } from '../domain/secrets.js';
import { type SignInContext, type StepResult, codeStep, passwordStep, recordSignIn } from '../domain/signInSteps.js';
import { readBodyText } from '../http/body.js';
import { answerRefusedStep } from '../http/signInAnswers.js';
import { translator, withLocale } from '../http/i18n.js';
import { parseForm } from '../http/inputGate.js';
import { type PageLanguage, pageLanguage, sendPage } from '../http/pages.js';
import { clientAddress, noteSignIn } from '../http/requestContext.js';

const SESSION_COOKIE = 'gatehouse_account';
export const csrfTokens = new Tokens();

export interface AccountDeps {
  manager: EntityManager;
  secrets: Secrets;
  throttle: LoginThrottle;
  issuer: string;
  cookieKeys: string[];
}

export interface SignedInAccount extends AccountSession {
  sessionId: string;
}

export async function form(ctx: Context): Promise<Record<string, string>> {
  if (!ctx.is('application/x-www-form-urlencoded')) ctx.throw(415, 'expected a form');
  const parsed = parseForm(await readBodyText(ctx, '16kb'));
  return Object.fromEntries(Object.entries(parsed).map(([k, v]) => [k, typeof v === 'string' ? v : '']));
}

/** The page's language; forms and redirects carry it on as `ui_locales`, so a choice survives a form post. */
export function accountLanguage(ctx: Context, here?: string): PageLanguage {
  return pageLanguage(ctx, here ? { here } : {});
}

/** An address inside /account in the page's language. */
export function localised(path: string, language: PageLanguage): string {
  return withLocale(path, language.locale);
}

/** Only a path inside the console or /account, so a return address can never become an open redirect. */
export function returnPath(value: unknown): string | undefined {
  return typeof value === 'string' && /^\/(console|account)(\/[A-Za-z0-9/_-]*)?$/.test(value) ? value : undefined;
}

export function accountCookies(deps: Pick<AccountDeps, 'issuer' | 'cookieKeys'>) {
  const secure = deps.issuer.startsWith('https:');
  const options = { httpOnly: true, sameSite: 'lax' as const, path: '/account', secure, signed: true, overwrite: true };
  const jar = (ctx: Context) => new Cookies(ctx.req, ctx.res, { keys: deps.cookieKeys, secure });
  return {
    read: (ctx: Context) => jar(ctx).get(SESSION_COOKIE, { signed: true }),
    set: (ctx: Context, id: string) => jar(ctx).set(SESSION_COOKIE, id, { ...options, maxAge: ACCOUNT_SESSION_TTL_SECONDS * 1000 }),
    clear: (ctx: Context) => jar(ctx).set(SESSION_COOKIE, null, options),
  };
}

/** Starts an /account session for a user who has just proved who they are (here, or at the console's sign-in). */
export async function startAccountSession(
  ctx: Context, deps: Pick<AccountDeps, 'manager' | 'issuer' | 'cookieKeys'>, user: { id: string },
): Promise<void> {
  const actor: Actor & { id: string } = { type: 'user', id: user.id, requestId: ctx.state.requestId ?? null };
  const id = await createAccountSession(deps.manager, actor, csrfTokens.secretSync());
  accountCookies(deps).set(ctx, id);
}

export function signedInAccount(ctx: Context): SignedInAccount {
  return ctx.state.account as SignedInAccount;
}

export function accountActor(ctx: Context): Actor & { id: string } {
  return { type: 'user', id: signedInAccount(ctx).user.id, requestId: ctx.state.requestId ?? null };
}

export function accountSignIn(deps: AccountDeps) {
  const { manager, secrets, throttle } = deps;
  const cookies = accountCookies(deps);
  const router = new Router();

  /**
   * Where the sign-in is going and in which language: from the query on the first GET, then carried in the forms'
   * hidden fields (the forms post to plain /account/login addresses).
   */
  interface Journey { uiLocales?: string; returnTo?: string }
  const journeyOf = (source: Record<string, unknown>): Journey => ({
    uiLocales: typeof source.ui_locales === 'string' ? source.ui_locales.slice(0, 64) : undefined,
    returnTo: returnPath(source.return_to),
  });
  const languageOf = (ctx: Context, journey: Journey) => pageLanguage(ctx, { uiLocales: journey.uiLocales, here: '/account/login' });
  const hidden = (journey: Journey, language: PageLanguage) => ({ ui_locales: language.locale, ...(journey.returnTo ? { return_to: journey.returnTo } : {}) });

  const loginPage = (ctx: Context, journey: Journey, status = 200, extra: Record<string, unknown> = {}) => {
    const language = languageOf(ctx, journey);
    const t = translator(language.locale);
    sendPage(ctx, 'login.njk', {
      action: '/account/login', hidden: hidden(journey, language),
      message: ctx.query.done === 'signed_out_everywhere' ? t('account.done.signed_out_everywhere') : undefined, ...extra,
    }, status, { language });
  };

  const codePage = (ctx: Context, journey: Journey, challenge: string, status = 200, error?: string) => {
    const language = languageOf(ctx, journey);
    sendPage(ctx, 'second-factor.njk', {
      challenge, error, action: '/account/login/second-factor', hidden: hidden(journey, language),
    }, status, { language });
  };

  const stepContext = (ctx: Context): SignInContext => ({
    manager, secrets, throttle, address: clientAddress(ctx), requestId: ctx.state.requestId ?? null, clientId: null, flow: 'account',
  });

  const afterStep = async (
    ctx: Context, journey: Journey, step: StepResult, wrongKey: string, again: (status: number, error: string) => void,
  ) => {
    const language = languageOf(ctx, journey);
    const t = translator(language.locale);
    switch (step.outcome) {
      case 'throttled':
      case 'wrong':
        return answerRefusedStep(ctx, step, t, wrongKey, again);
      case 'expired':
        return loginPage(ctx, journey, 400, { error: t('second_factor.expired') });
      case 'second_factor':
        return codePage(ctx, journey, step.challenge);
      case 'signed_in':
        noteSignIn(ctx, 'success', step.user.id);
        await recordSignIn(stepContext(ctx), step.user, true);
        await startAccountSession(ctx, deps, step.user);
        ctx.status = 303;
        return ctx.redirect(localised(journey.returnTo ?? '/account', language));
    }
  };

  router.get('/login', (ctx) => loginPage(ctx, journeyOf(ctx.query)));

  router.post('/login', async (ctx) => {
    const body = await form(ctx);
    const journey = journeyOf(body);
    const email = body.email?.slice(0, 254) ?? '';
    const step = await passwordStep(stepContext(ctx), email, body.password?.slice(0, 1024) ?? '');
    await afterStep(ctx, journey, step, 'login.wrong', (status, error) => loginPage(ctx, journey, status, { email, error }));
  });

  router.post('/login/second-factor', async (ctx) => {
    const body = await form(ctx);
    const journey = journeyOf(body);
    const challenge = body.challenge?.slice(0, 2048) ?? '';
    const step = await codeStep(stepContext(ctx), challenge, body.code?.slice(0, 32) ?? '');
    await afterStep(ctx, journey, step, 'second_factor.wrong', (status, error) => codePage(ctx, journey, challenge, status, error));
  });

  /** Pages behind it need a live session; a GET without one goes to sign-in. Every POST carries the CSRF token. */
  async function requireSession(ctx: Context, next: Next) {
    const id = cookies.read(ctx);
    const session = id ? await findAccountSession(manager, id) : null;
    if (!session) {
      const language = accountLanguage(ctx);
      if (ctx.method === 'GET') {
        const back = returnPath(ctx.path) && ctx.path !== '/account' ? `?return_to=${encodeURIComponent(ctx.path)}` : '';
        return ctx.redirect(localised(`/account/login${back}`, language));
      }
      ctx.status = 303;
      return ctx.redirect(localised('/account/login', language));
    }
    ctx.state.account = { ...session, sessionId: id! } satisfies SignedInAccount;
    if (ctx.method === 'POST') {
      const body = await form(ctx);
      if (!body._csrf || !csrfTokens.verify(session.csrfSecret, body._csrf)) ctx.throw(403, 'the form is stale; reload the page');
      ctx.state.form = body;
    }
    await next();
  }

  const signOut = async (ctx: Context) => {
    await endAccountSession(manager, signedInAccount(ctx).sessionId);
    cookies.clear(ctx);
    ctx.status = 303;
    ctx.redirect(localised('/account/login', accountLanguage(ctx)));
  };

  return { router, requireSession, signOut, cookies };
}
