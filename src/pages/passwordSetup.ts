// The password setup page (CONTRACT §8): `${ISSUER}/password/setup/<token>`, a form (new password, twice) that
// says which rule a refused password broke; a used, expired or unknown link is a page that says so (HTTP 410).
// The words are the template's (views/password-setup.njk); this module passes rule codes, not sentences.
import Router from '@koa/router';
import type { Context } from 'koa';
import type { EntityManager } from 'typeorm';
import { MIN_PASSWORD_LENGTH } from '../domain/passwordPolicy.js';
import { completeSetup, openSetupLink } from '../domain/passwordSetup.js';
import type { Secrets } from '../domain/secrets.js';
import { readBodyText } from '../http/body.js';
import { parseForm } from '../http/inputGate.js';
import { sendPage } from '../http/pages.js';

function field(value: unknown): string {
  return typeof value === 'string' ? value.slice(0, 4096) : '';
}

export function passwordSetupRouter(manager: EntityManager, secrets: Secrets): Router {
  const router = new Router({ prefix: '/password' });
  const show = (ctx: Context, vars: Record<string, unknown>, status = 200) =>
    sendPage(ctx, 'password-setup.njk', { title: 'Set your password', minLength: MIN_PASSWORD_LENGTH, ...vars }, status);
  const gone = (ctx: Context) => show(ctx, { gone: true }, 410);

  router.get('/setup/:token', async (ctx) => {
    const link = await openSetupLink(manager, secrets, ctx.params.token);
    if (!link) return gone(ctx);
    show(ctx, { email: link.email, action: ctx.path });
  });

  router.post('/setup/:token', async (ctx) => {
    if (!ctx.is('application/x-www-form-urlencoded')) ctx.throw(415, 'expected a form');
    const form = parseForm(await readBodyText(ctx, '16kb'));
    const outcome = await completeSetup(
      manager, secrets, ctx.params.token, field(form.password), field(form.password_confirmation), ctx.state.requestId ?? null,
    );
    if (outcome.done) {
      // 303 to a page of its own: reloading it repeats nothing (the link is used).
      ctx.status = 303;
      ctx.redirect('/password/done');
      return;
    }
    if (outcome.gone) return gone(ctx);
    const link = await openSetupLink(manager, secrets, ctx.params.token);
    show(ctx, { email: link?.email, action: ctx.path, problem: outcome.problem }, 422);
  });

  router.get('/done', (ctx) => show(ctx, { done: true }));
  return router;
}
