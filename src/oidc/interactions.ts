// Login and consent (CONTRACT §3). A user signs in, must be a member of the client, and approves the scopes
// that survive narrowing: requested ∩ the client's permissions ∩ the membership's scopes, identity scopes free.
// The forms need the interaction cookie, which is SameSite=Lax and path-bound, so a cross-site POST finds no
// interaction (login CSRF is refused by oidc-provider's own session binding).
import Router from '@koa/router';
import parse from 'co-body';
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { Interaction } from 'oidc-provider';
import type { EntityManager } from 'typeorm';
import { type Actor, recordAudit } from '../domain/audit.js';
import { consoleClientOnce } from '../domain/bootstrap.js';
import { getClient } from '../domain/clients.js';
import { NotFound } from '../domain/errors.js';
import type { LoginThrottle } from '../domain/loginThrottle.js';
import { IDENTITY_SCOPES, listPermissions } from '../domain/permissions.js';
import { findUser, membershipScopes, verifyPassword } from '../domain/users.js';
import { render } from './views.js';

const IDENTITY_DESCRIPTIONS: Record<string, string> = {
  openid: 'know who you are',
  profile: 'see your name',
  email: 'see your email address',
  offline_access: 'stay signed in when you are away',
};

export function grantableScopes(requested: string[], clientPermissions: string[], membership: string[]): string[] {
  const held = new Set(clientPermissions);
  const allowed = new Set(membership);
  return requested.filter((s) => (IDENTITY_SCOPES as readonly string[]).includes(s) || (held.has(s) && allowed.has(s)));
}

async function form(ctx: Context): Promise<Record<string, unknown>> {
  if (!ctx.is('application/x-www-form-urlencoded')) ctx.throw(415, 'expected a form');
  return (await parse.form(ctx, { limit: '16kb' })) as Record<string, unknown>;
}

function text(value: unknown, max: number): string {
  return typeof value === 'string' ? value.slice(0, max) : '';
}

export function interactionRouter(provider: Provider, manager: EntityManager, throttle: LoginThrottle): Router {
  const router = new Router({ prefix: '/interaction' });

  const clientName = async (clientId: string) => {
    try {
      return (await getClient(manager, clientId)).name;
    } catch (err) {
      if (err instanceof NotFound) return clientId;
      throw err;
    }
  };

  /** Grants what survives narrowing (requested ∩ client permissions ∩ membership), rejects the rest, audits it. */
  const consent = async (
    ctx: Context, details: Interaction, accountId: string, client: { permissions: string[] }, membership: string[],
  ): Promise<string> => {
    const clientId = String(details.params.client_id);
    const requested = String(details.params.scope ?? '').split(' ').filter(Boolean);
    const granted = grantableScopes(requested, client.permissions, membership);
    const grant = details.grantId
      ? (await provider.Grant.find(details.grantId))!
      : new provider.Grant({ accountId, clientId });
    if (granted.length) grant.addOIDCScope(granted.join(' '));
    const narrowed = requested.filter((s) => !granted.includes(s));
    if (narrowed.length) grant.rejectOIDCScope(narrowed.join(' '));
    const grantId = await grant.save();
    const actor: Actor = { type: 'user', id: accountId, requestId: ctx.state.requestId ?? null };
    await recordAudit(manager, actor, 'grant.consent', { type: 'client', id: clientId }, { scope: granted.join(' ') });
    return grantId;
  };

  const consoleClient = consoleClientOnce(manager);

  // A login result must survive the consent step that follows it (prompt=login, max_age), so results merge.
  const finish = async (ctx: Context, result: Parameters<Provider['interactionResult']>[2]) => {
    const to = await provider.interactionResult(ctx.req, ctx.res, result, { mergeWithLastSubmission: true });
    ctx.status = 303;
    ctx.redirect(to);
  };

  router.get('/:uid', async (ctx) => {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const clientId = String(details.params.client_id);
    ctx.set('cache-control', 'no-store');
    ctx.type = 'html';
    if (details.prompt.name === 'login') {
      ctx.body = render('login.njk', { title: 'Sign in', uid: details.uid, clientName: await clientName(clientId) });
      return;
    }
    const accountId = details.session?.accountId;
    const user = accountId ? await findUser(manager, accountId) : null;
    if (!user) return finish(ctx, { error: 'access_denied', error_description: 'the user is no longer active' });
    const client = await getClient(manager, clientId);
    const membership = await membershipScopes(manager, user.id, clientId);
    if (!membership) return finish(ctx, { error: 'access_denied', error_description: 'the user is not a member of this client' });
    // Gatehouse's own console is first-party: its members are not asked to allow it access to themselves.
    if (clientId === (await consoleClient())?.client_id) {
      return finish(ctx, { consent: { grantId: await consent(ctx, details, user.id, client, membership) } });
    }
    const requested = String(details.params.scope ?? '').split(' ').filter(Boolean);
    const granted = grantableScopes(requested, client.permissions, membership);
    const catalog = new Map((await listPermissions(manager)).map((p) => [p.name, p.description]));
    const scopes = granted.filter((s) => s !== 'openid').map((name) => ({
      name, description: IDENTITY_DESCRIPTIONS[name] ?? catalog.get(name) ?? '',
    }));
    ctx.body = render('consent.njk', { title: 'Allow access', uid: details.uid, clientName: client.name, userEmail: user.email, scopes });
  });

  router.post('/:uid/login', async (ctx) => {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.prompt.name !== 'login') ctx.throw(400, 'this interaction does not ask for a login');
    const body = await form(ctx);
    const email = text(body.email, 254);
    const clientId = String(details.params.client_id);
    const loginPage = async (status: number, error: string) => {
      ctx.status = status;
      ctx.type = 'html';
      ctx.body = render('login.njk', { title: 'Sign in', uid: details.uid, clientName: await clientName(clientId), email, error });
    };
    // Too many failures: refused without looking at the password, so guessing gains nothing.
    const wait = await throttle.retryAfter(email, ctx.ip);
    if (wait) {
      ctx.set('retry-after', String(wait));
      return loginPage(429, `Too many failed sign-ins. Try again in ${Math.ceil(wait / 60)} minute(s).`);
    }
    const user = await verifyPassword(manager, email, text(body.password, 1024));
    if (!user) {
      await throttle.failed(email, ctx.ip);
      return loginPage(401, 'Wrong email or password.');
    }
    await throttle.succeeded(email, ctx.ip);
    // RFC 6749 §4.1.2.1: a user who may not use this client is sent back with access_denied.
    if (!(await membershipScopes(manager, user.id, clientId))) {
      return finish(ctx, { error: 'access_denied', error_description: 'the user is not a member of this client' });
    }
    return finish(ctx, { login: { accountId: user.id } });
  });

  router.post('/:uid/confirm', async (ctx) => {
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    if (details.prompt.name !== 'consent') ctx.throw(400, 'this interaction does not ask for consent');
    await form(ctx);
    const accountId = details.session!.accountId;
    const clientId = String(details.params.client_id);
    const client = await getClient(manager, clientId);
    const membership = (await membershipScopes(manager, accountId, clientId)) ?? [];
    return finish(ctx, { consent: { grantId: await consent(ctx, details, accountId, client, membership) } });
  });

  router.post('/:uid/abort', async (ctx) => {
    await provider.interactionDetails(ctx.req, ctx.res);
    return finish(ctx, { error: 'access_denied', error_description: 'the user cancelled' });
  });

  return router;
}
