// The user's own account at /account (CONTRACT §11): change the password, see and revoke what they allowed, sign
// out everywhere, and enrol a second factor (TOTP, its QR code rendered here by `qrcode`, nothing from elsewhere).
// Every change is audited by the domain function that makes it; a form post answers 303 to the page, which says
// once what changed (`done`), so a reload repeats nothing.
import Router from '@koa/router';
import type { Context } from 'koa';
import QRCode from 'qrcode';
import { recordAudit } from '../domain/audit.js';
import { listUserGrants, revokeUserGrant } from '../domain/grants.js';
import { changePassword } from '../domain/passwordChange.js';
import { endSessions, lockUser } from '../domain/revocation.js';
import { confirmEnrolment, secondFactorState, startEnrolment } from '../domain/secondFactor.js';
import { translator } from '../http/i18n.js';
import { sendPage } from '../http/pages.js';
import { clientAddress } from '../http/requestContext.js';
import {
  type AccountDeps, accountActor, accountLanguage, accountSignIn, csrfTokens, localised, returnPath, signedInAccount,
} from './session.js';

/** What a 303 back to the page may announce (a closed list: the query cannot put words on the page). */
const DONE = new Set(['password_changed', 'grant_revoked', 'mfa_enabled']);

export function accountRouter(deps: AccountDeps): Router {
  const { manager, secrets, throttle } = deps;
  const { router: signInRoutes, requireSession, signOut, cookies } = accountSignIn(deps);
  const router = new Router({ prefix: '/account' });
  router.use(signInRoutes.routes());

  const pages = new Router();
  pages.use(requireSession);

  const accountPage = async (ctx: Context, status = 200, extra: Record<string, unknown> = {}) => {
    const me = signedInAccount(ctx);
    const language = accountLanguage(ctx, '/account');
    const t = translator(language.locale);
    const done = typeof ctx.query.done === 'string' && DONE.has(ctx.query.done) ? t(`account.done.${ctx.query.done}`) : undefined;
    sendPage(ctx, 'account.njk', {
      me: me.user, done, csrf: csrfTokens.create(me.csrfSecret), uiLocales: language.locale,
      secondFactor: await secondFactorState(manager, me.user.id),
      grants: await listUserGrants(manager, me.user.id), ...extra,
    }, status, { language });
  };

  const backTo = (ctx: Context, done?: string) => {
    ctx.status = 303;
    ctx.redirect(localised(`/account${done ? `?done=${done}` : ''}`, accountLanguage(ctx)));
  };

  pages.get('/', (ctx) => accountPage(ctx));

  pages.post('/password', async (ctx) => {
    const me = signedInAccount(ctx);
    const body = ctx.state.form as Record<string, string>;
    const result = await changePassword(manager, throttle, accountActor(ctx), me.user, clientAddress(ctx),
      (body.current_password ?? '').slice(0, 1024), (body.new_password ?? '').slice(0, 1024), (body.repeat_password ?? '').slice(0, 1024), me.sessionId);
    if (result.outcome === 'changed') return backTo(ctx, 'password_changed');
    const t = translator(accountLanguage(ctx).locale);
    if (result.outcome === 'throttled') ctx.set('retry-after', String(result.retryAfter));
    const error = result.outcome === 'weak' ? t(`password.problem.${result.problem}`)
      : result.outcome === 'throttled' ? t('login.throttled', { count: Math.ceil(result.retryAfter / 60) })
        : t(`account.password.${result.outcome}`);
    const status = result.outcome === 'throttled' ? 429 : result.outcome === 'wrong_current' ? 401 : 422;
    return accountPage(ctx, status, { passwordError: error });
  });

  pages.post('/grants/revoke', async (ctx) => {
    const clientId = String((ctx.state.form as Record<string, string>).client_id ?? '').slice(0, 128);
    if (await revokeUserGrant(manager, signedInAccount(ctx).user.id, clientId)) {
      await recordAudit(manager, accountActor(ctx), 'grant.revoke', { type: 'user', id: signedInAccount(ctx).user.id }, { client_id: clientId });
    }
    backTo(ctx, 'grant_revoked');
  });

  pages.post('/sign-out-everywhere', async (ctx) => {
    const actor = accountActor(ctx);
    await manager.transaction(async (tx) => {
      await lockUser(tx, actor.id);
      await endSessions(tx, actor.id);
      await recordAudit(tx, actor, 'user.sign_out_everywhere', { type: 'user', id: actor.id });
    });
    cookies.clear(ctx);
    ctx.status = 303;
    ctx.redirect(localised('/account/login?done=signed_out_everywhere', accountLanguage(ctx)));
  });

  pages.post('/logout', signOut);

  const enrolPage = async (ctx: Context, status = 200, error?: string) => {
    const me = signedInAccount(ctx);
    const enrolment = await startEnrolment(manager, secrets, me.user.id, me.user.email);
    if (!enrolment) return backTo(ctx);
    const { key, uri } = enrolment;
    const language = accountLanguage(ctx, '/account/mfa');
    const returnTo = returnPath(ctx.query.return_to);
    sendPage(ctx, 'account-mfa.njk', {
      qr: await QRCode.toDataURL(uri, { errorCorrectionLevel: 'M', margin: 2, width: 220 }),
      key: key.replace(/(.{4})/g, '$1 ').trim(), csrf: csrfTokens.create(me.csrfSecret), error,
      required: ctx.query.required === 'admin',
      action: localised(`/account/mfa${returnTo ? `?return_to=${encodeURIComponent(returnTo)}` : ''}`, language),
    }, status, { language });
  };

  pages.get('/mfa', (ctx) => enrolPage(ctx));

  pages.post('/mfa', async (ctx) => {
    const code = String((ctx.state.form as Record<string, string>).code ?? '').slice(0, 32);
    const codes = await confirmEnrolment(manager, secrets, accountActor(ctx), signedInAccount(ctx).user.id, code);
    const t = translator(accountLanguage(ctx).locale);
    if (!codes) return enrolPage(ctx, 422, t('account.mfa.wrong_code'));
    // Shown this once, in the answer to the post that made them; only their HMACs are kept.
    const language = accountLanguage(ctx, '/account');
    sendPage(ctx, 'account-recovery-codes.njk', {
      codes, next: localised(returnPath(ctx.query.return_to) ?? '/account?done=mfa_enabled', language),
    }, 200, { language });
  });

  router.use(pages.routes());
  return router;
}
