// Login and consent (CONTRACT §3). Every step asks the one rule of who may sign in through a client
// (src/domain/signInPolicy.ts): the page, its form post and the consent post alike; a session and grant that need
// no interaction at all meet the same rule where the code is stored (src/oidc/tokenStore.ts). The forms need the
// interaction cookie, which is SameSite=Lax and path-bound, so a cross-site POST finds no interaction.
import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { Interaction } from 'oidc-provider';
import type { EntityManager } from 'typeorm';
import { getClient } from '../domain/clients.js';
import { consoleRegistrationOnce } from '../domain/consoleClient.js';
import { NotFound } from '../domain/errors.js';
import type { LoginThrottle } from '../domain/loginThrottle.js';
import { listPermissions } from '../domain/permissions.js';
import type { Secrets } from '../domain/secrets.js';
import { signInScopes } from '../domain/signInPolicy.js';
import { type SignInContext, type StepResult, codeStep, passwordStep, recordSignIn } from '../domain/signInSteps.js';
import { findUser } from '../domain/users.js';
import { readBodyText } from '../http/body.js';
import { answerRefusedStep } from '../http/signInAnswers.js';
import { fromUiLocales, translator } from '../http/i18n.js';
import { parseForm } from '../http/inputGate.js';
import { type PageLanguage, pageLanguage, sendPage } from '../http/pages.js';
import { clientAddress, noteSignIn } from '../http/requestContext.js';
import { type ConsentSubject, grantedScopes, recordConsent } from './consent.js';

const IDENTITY_SCOPES = new Set(['openid', 'profile', 'email', 'offline_access']);

async function form(ctx: Context): Promise<Record<string, string | string[]>> {
  if (!ctx.is('application/x-www-form-urlencoded')) ctx.throw(415, 'expected a form');
  return parseForm(await readBodyText(ctx, '16kb'));
}

function text(value: unknown, max: number): string {
  return typeof value === 'string' ? value.slice(0, max) : '';
}

/** The relying party's origin: a form post on these pages ends in a redirect there (pages.ts `formAction`). */
function redirectOrigin(details: Interaction): string[] {
  try {
    return [new URL(String(details.params.redirect_uri)).origin];
  } catch {
    return [];
  }
}

export function interactionRouter(provider: Provider, manager: EntityManager, throttle: LoginThrottle, secrets: Secrets): Router {
  const router = new Router({ prefix: '/interaction' });
  const consoleRegistration = consoleRegistrationOnce(manager);

  const clientName = async (clientId: string) => {
    try {
      return (await getClient(manager, clientId)).name;
    } catch (err) {
      if (err instanceof NotFound) return clientId;
      throw err;
    }
  };

  // A login result must survive the consent step that follows it (prompt=login, max_age), so results merge.
  const finish = async (ctx: Context, result: Parameters<Provider['interactionResult']>[2]) => {
    const to = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: true });
    ctx.status = 303;
    ctx.redirect(to);
  };

  const notAllowed = (ctx: Context) => finish(ctx, { error: 'access_denied', error_description: 'the user may not sign in through this client' });

  /** Who is asked to consent, if they may sign in through the client at all. */
  const consentSubject = async (details: Interaction): Promise<ConsentSubject | null> => {
    const accountId = details.session?.accountId;
    const clientId = String(details.params.client_id);
    const membership = accountId ? await signInScopes(manager, accountId, clientId) : null;
    if (!accountId || !membership) return null;
    const client = await getClient(manager, clientId);
    return { accountId, clientId, clientPermissions: client.permissions, membership };
  };

  /** The page's language: the request's ui_locales (which the language link amends), Accept-Language, the default. */
  const language = (ctx: Context, details: Interaction): PageLanguage =>
    pageLanguage(ctx, { uiLocales: details.params.ui_locales, here: `/interaction/${details.uid}` });

  const loginPage = async (ctx: Context, details: Interaction, status = 200, extra: Record<string, unknown> = {}) => {
    sendPage(ctx, 'login.njk', {
      uid: details.uid, clientName: await clientName(String(details.params.client_id)),
      action: `/interaction/${details.uid}/login`, abortAction: `/interaction/${details.uid}/abort`, ...extra,
    }, status, { formAction: redirectOrigin(details), language: language(ctx, details) });
  };

  const secondFactorPage = (ctx: Context, details: Interaction, challenge: string, status = 200, error?: string) => {
    sendPage(ctx, 'second-factor.njk', {
      challenge, error, action: `/interaction/${details.uid}/second-factor`, abortAction: `/interaction/${details.uid}/abort`,
    }, status, { formAction: redirectOrigin(details), language: language(ctx, details) });
  };

  const stepContext = (ctx: Context, details: Interaction): SignInContext => ({
    manager, secrets, throttle, address: clientAddress(ctx), requestId: ctx.state.requestId ?? null,
    clientId: String(details.params.client_id), flow: details.uid,
  });

  /** What follows a sign-in step: a page again, the second factor, or the end of the login. */
  const afterStep = async (
    ctx: Context, details: Interaction, step: StepResult, wrongKey: string, again: (status: number, error: string) => unknown,
  ) => {
    const t = translator(language(ctx, details).locale);
    switch (step.outcome) {
      case 'throttled':
      case 'wrong':
        return answerRefusedStep(ctx, step, t, wrongKey, again);
      case 'expired':
        return loginPage(ctx, details, 400, { error: t('second_factor.expired') });
      case 'second_factor':
        return secondFactorPage(ctx, details, step.challenge);
      case 'signed_in': {
        const c = stepContext(ctx, details);
        // RFC 6749 §4.1.2.1: a user who may not use this client is sent back with access_denied.
        const allowed = !!(await signInScopes(manager, step.user.id, String(details.params.client_id)));
        noteSignIn(ctx, allowed ? 'success' : 'failure', step.user.id);
        await recordSignIn(c, step.user, allowed);
        return allowed ? finish(ctx, { login: { accountId: step.user.id } }) : notAllowed(ctx);
      }
    }
  };

  router.get('/:uid', async (ctx) => {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    // The language link amends the request's ui_locales, so every later page of this sign-in keeps the choice.
    const chosen = fromUiLocales(ctx.query.ui_locales);
    if (chosen && details.params.ui_locales !== chosen) {
      details.params.ui_locales = chosen;
      await details.save(details.exp - Math.floor(Date.now() / 1000));
    }
    if (details.prompt.name === 'login') return loginPage(ctx, details);
    const subject = await consentSubject(details);
    if (!subject) return notAllowed(ctx);
    // Gatehouse's own console is first-party: its members are not asked to allow it access to themselves.
    if (subject.clientId === (await consoleRegistration())?.clientId) {
      return finish(ctx, { consent: { grantId: await recordConsent(provider, manager, ctx, details, subject) } });
    }
    const catalog = new Map((await listPermissions(manager)).map((p) => [p.name, p.description]));
    const lang = language(ctx, details);
    const t = translator(lang.locale);
    const scopes = grantedScopes(details, subject).filter((s) => s !== 'openid').map((name) => ({
      name, description: IDENTITY_SCOPES.has(name) ? t(`consent.identity.${name}`) : catalog.get(name) ?? '',
    }));
    const user = await findUser(manager, subject.accountId);
    sendPage(ctx, 'consent.njk', {
      uid: details.uid, clientName: await clientName(subject.clientId), userEmail: user?.email, scopes,
    }, 200, { formAction: redirectOrigin(details), language: lang });
  });

  router.post('/:uid/login', async (ctx) => {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.prompt.name !== 'login') ctx.throw(400, 'this interaction does not ask for a login');
    const body = await form(ctx);
    const email = text(body.email, 254);
    const step = await passwordStep(stepContext(ctx, details), email, text(body.password, 1024));
    return afterStep(ctx, details, step, 'login.wrong', (status, error) => loginPage(ctx, details, status, { email, error }));
  });

  // CONTRACT §11: after the password, a TOTP or recovery code; a wrong one counts toward the login throttle.
  router.post('/:uid/second-factor', async (ctx) => {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.prompt.name !== 'login') ctx.throw(400, 'this interaction does not ask for a login');
    const body = await form(ctx);
    const challenge = text(body.challenge, 2048);
    const step = await codeStep(stepContext(ctx, details), challenge, text(body.code, 32));
    return afterStep(ctx, details, step, 'second_factor.wrong', (status, error) => secondFactorPage(ctx, details, challenge, status, error));
  });

  router.post('/:uid/confirm', async (ctx) => {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.prompt.name !== 'consent') ctx.throw(400, 'this interaction does not ask for consent');
    await form(ctx);
    const subject = await consentSubject(details);
    if (!subject) return notAllowed(ctx);
    return finish(ctx, { consent: { grantId: await recordConsent(provider, manager, ctx, details, subject) } });
  });

  router.post('/:uid/abort', async (ctx) => {
    await provider.interactionDetails(ctx.req, ctx.res);
    await form(ctx); // read through the input gate like every form, though it carries nothing
    return finish(ctx, { error: 'access_denied', error_description: 'the user cancelled' });
  });

  return router;
}
