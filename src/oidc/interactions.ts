// Login and consent (CONTRACT §3). Every step asks the one rule of who may sign in through a client
// (src/domain/signInPolicy.ts): the page, its form post and the consent post alike; a session and grant that need
// no interaction at all meet the same rule where the code is stored (src/oidc/tokenStore.ts). The forms need the
// interaction cookie, which is SameSite=Lax and path-bound, so a cross-site POST finds no interaction.
import Router from '@koa/router';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { Interaction } from 'oidc-provider';
import type { EntityManager } from 'typeorm';
import { type Actor, recordAudit } from '../domain/audit.js';
import { getClient } from '../domain/clients.js';
import { consoleRegistrationOnce } from '../domain/consoleClient.js';
import { NotFound } from '../domain/errors.js';
import type { LoginThrottle } from '../domain/loginThrottle.js';
import { listPermissions } from '../domain/permissions.js';
import { signInScopes } from '../domain/signInPolicy.js';
import { findUser, noteSignIn, verifyPassword } from '../domain/users.js';
import { readBodyText } from '../http/body.js';
import { parseForm } from '../http/inputGate.js';
import { sendPage } from '../http/pages.js';
import { clientAddress } from '../http/requestContext.js';
import { type ConsentSubject, grantedScopes, recordConsent } from './consent.js';

const IDENTITY_DESCRIPTIONS: Record<string, string> = {
  openid: 'know who you are',
  profile: 'see your name',
  email: 'see your email address',
  offline_access: 'stay signed in when you are away',
};

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

export function interactionRouter(provider: Provider, manager: EntityManager, throttle: LoginThrottle): Router {
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

  const loginPage = async (ctx: Context, details: Interaction, status = 200, extra: Record<string, unknown> = {}) => {
    sendPage(ctx, 'login.njk', {
      title: 'Sign in', uid: details.uid, clientName: await clientName(String(details.params.client_id)), ...extra,
    }, status, { formAction: redirectOrigin(details) });
  };

  router.get('/:uid', async (ctx) => {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.prompt.name === 'login') return loginPage(ctx, details);
    const subject = await consentSubject(details);
    if (!subject) return notAllowed(ctx);
    // Gatehouse's own console is first-party: its members are not asked to allow it access to themselves.
    if (subject.clientId === (await consoleRegistration())?.clientId) {
      return finish(ctx, { consent: { grantId: await recordConsent(provider, manager, ctx, details, subject) } });
    }
    const catalog = new Map((await listPermissions(manager)).map((p) => [p.name, p.description]));
    const scopes = grantedScopes(details, subject).filter((s) => s !== 'openid').map((name) => ({
      name, description: IDENTITY_DESCRIPTIONS[name] ?? catalog.get(name) ?? '',
    }));
    const user = await findUser(manager, subject.accountId);
    sendPage(ctx, 'consent.njk', {
      title: 'Allow access', uid: details.uid, clientName: await clientName(subject.clientId), userEmail: user?.email, scopes,
    }, 200, { formAction: redirectOrigin(details) });
  });

  router.post('/:uid/login', async (ctx) => {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.prompt.name !== 'login') ctx.throw(400, 'this interaction does not ask for a login');
    const body = await form(ctx);
    const email = text(body.email, 254);
    const clientId = String(details.params.client_id);
    const address = clientAddress(ctx);
    const audit = (actor: Actor, action: string, targetId: string) =>
      recordAudit(manager, actor, action, { type: 'user', id: targetId }, { email, client_address: address, client_id: clientId });
    const anonymous: Actor = { type: 'user', id: null, requestId: ctx.state.requestId ?? null };
    // The attempt is taken before the password is looked at: guessing in parallel gains nothing.
    const attempt = await throttle.attempt(email, address);
    if (!attempt.allowed) {
      if (attempt.first) await audit(anonymous, 'user.locked_out', email.toLowerCase());
      ctx.set('retry-after', String(attempt.retryAfter));
      return loginPage(ctx, details, 429, { email, error: `Too many failed sign-ins. Try again in ${Math.ceil(attempt.retryAfter / 60)} minute(s).` });
    }
    const user = await verifyPassword(manager, email, text(body.password, 1024));
    if (!user) {
      await audit(anonymous, 'user.sign_in_failed', email.toLowerCase());
      return loginPage(ctx, details, 401, { email, error: 'Wrong email or password.' });
    }
    await throttle.succeeded(email, address);
    const actor: Actor = { type: 'user', id: user.id, requestId: ctx.state.requestId ?? null };
    // RFC 6749 §4.1.2.1: a user who may not use this client is sent back with access_denied.
    if (!(await signInScopes(manager, user.id, clientId))) {
      await audit(actor, 'user.sign_in_failed', user.id);
      return notAllowed(ctx);
    }
    await audit(actor, 'user.sign_in', user.id);
    await noteSignIn(manager, user.id);
    return finish(ctx, { login: { accountId: user.id } });
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
