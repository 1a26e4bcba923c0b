// The password setup page (CONTRACT §8): `${ISSUER}/password/setup/<token>`, a form (new password, twice) that
// says which rule a refused password broke; a used, expired or unknown link is a page that says so (HTTP 410).
// The words are the catalogues' (locales/*.json, through views/password-setup.njk); this module passes rule codes.
import Router from '@koa/router';
import type { Context } from 'koa';
import type { EntityManager } from 'typeorm';
import { MIN_PASSWORD_LENGTH } from '../domain/passwordPolicy.js';
import { completeSetup, openSetupLink } from '../domain/passwordSetup.js';
import type { Secrets } from '../domain/secrets.js';
import { readBodyText } from '../http/body.js';
import { parseForm } from '../http/inputGate.js';
import { pageLanguage, sendPage } from '../http/pages.js';

function field(value: unknown): string {
  return typeof value === 'string' ? value.slice(0, 4096) : '';
}

export function passwordSetupRouter(manager: EntityManager, secrets: Secrets): Router {
  const router = new Router({ prefix: '/password' });
  // The language link and a form that failed keep the user on the link's own page (a POST has no page to link to).
  const show = (ctx: Context, vars: Record<string, unknown>, status = 200) =>
    sendPage(ctx, 'password-setup.njk', { minLength: MIN_PASSWORD_LENGTH, ...vars }, status, {
      language: pageLanguage(ctx, { here: ctx.method === 'GET' ? ctx.originalUrl : ctx.path }),
    });
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
      ctx.redirect(`/password/done?ui_locales=${pageLanguage(ctx).locale}`);
      return;
    }
    if (outcome.gone) return gone(ctx);
    const link = await openSetupLink(manager, secrets, ctx.params.token);
    show(ctx, { email: link?.email, action: ctx.path, problem: outcome.problem }, 422);
  });

  router.get('/done', (ctx) => show(ctx, { done: true }));
  return router;
}
