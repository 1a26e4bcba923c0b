// The admin console under /console (CONTRACT §7): server-rendered pages over the same domain functions as the API.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Router from '@koa/router';
import type { Context, Next } from 'koa';
import send from 'koa-send';
import type Provider from 'oidc-provider';
import type { EntityManager } from 'typeorm';
import { consoleRegistrationOnce } from '../domain/consoleClient.js';
import type { Secrets } from '../domain/secrets.js';
import { requestFacts } from '../http/front.js';
import { auditPages } from './audit.js';
import { clientCreationPages } from './clientCreation.js';
import { clientPages } from './clients.js';
import { consoleErrors } from './errors.js';
import { FlashCookie } from './flash.js';
import { csrfForm } from './forms.js';
import { printJobPages } from './printJobs.js';
import { printerPages } from './printers.js';
import { permissionPages } from './permissions.js';
import { page } from './render.js';
import { servicePages } from './services.js';
import { signedIn } from './session.js';
import { signIn } from './signIn.js';
import { userPages } from './users.js';

const PUBLIC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../public/console');
const ASSET = /^[a-z0-9-]+\.(css|js)$/;

export interface ConsoleDeps {
  manager: EntityManager;
  secrets: Secrets;
  provider: Provider;
  issuer: string;
  cookieKeys: string[];
  adminMfa: 'optional' | 'required';
}

/** Where a signed-in user lands: the first section their scopes open. */
const HOME: Array<[string, string]> = [['service:read', '/console/services'], ['client:read', '/console/clients'], ['user:read', '/console/users'], ['audit:read', '/console/audit']];

/**
 * The console is served on ISSUER's origin only (CONTRACT §7): its cookies live there and its sign-in returns
 * there. A request on another host, or on another scheme where the scheme is known (a trusted proxy said so, or
 * ISSUER itself is plain http), is sent to the same path on ISSUER's origin before anything else.
 */
function onIssuerOrigin(issuer: string) {
  const want = new URL(issuer);
  return async (ctx: Context, next: Next) => {
    const facts = requestFacts(ctx.req);
    const [scheme, host] = facts.origin.split('://');
    const schemeDiffers = (facts.schemeKnown || want.protocol === 'http:') && `${scheme}:` !== want.protocol;
    if (host && (host.toLowerCase() !== want.host.toLowerCase() || schemeDiffers)) {
      ctx.status = ctx.method === 'GET' || ctx.method === 'HEAD' ? 302 : 307;
      ctx.redirect(`${want.origin}${ctx.originalUrl}`);
      return;
    }
    await next();
  };
}

export function consoleRouter(deps: ConsoleDeps): Router {
  const { manager, secrets } = deps;
  const registration = consoleRegistrationOnce(manager);
  const flash = new FlashCookie(deps.cookieKeys, deps.issuer.startsWith('https:'));
  const { router: signInRoutes, signOut, requireSession } = signIn({ ...deps, registration });

  const router = new Router({ prefix: '/console' });
  router.use(onIssuerOrigin(deps.issuer));
  router.use(async (ctx, next) => {
    ctx.state.flash = flash;
    if (deps.issuer.startsWith('https:')) ctx.set('strict-transport-security', 'max-age=31536000');
    await next();
  });
  router.use(consoleErrors);

  router.get('/static/:file', async (ctx) => {
    if (!ASSET.test(ctx.params.file)) return;
    await send(ctx, ctx.params.file, { root: PUBLIC, maxage: 3600_000 });
  });
  router.use(signInRoutes.routes());

  // Everything below needs a live session; every POST carries the session's CSRF token.
  const pages = new Router();
  pages.use(requireSession, csrfForm);
  pages.get('/', (ctx) => {
    const to = HOME.find(([scope]) => signedIn(ctx).scopes.has(scope));
    if (to) return ctx.redirect(to[1]);
    page(ctx, 'forbidden.njk', { title: 'Not allowed', scopes: HOME.map(([s]) => s) }, 403);
  });
  pages.use(signOut.routes());
  pages.use(servicePages(manager, secrets).routes());
  pages.use(printerPages(manager).routes());
  pages.use(clientCreationPages(manager).routes());
  pages.use(clientPages(manager, secrets, registration).routes());
  pages.use(printJobPages(manager).routes());
  pages.use(userPages(manager, secrets, deps.issuer).routes());
  pages.use(permissionPages(manager).routes());
  pages.use(auditPages(manager).routes());
  pages.all('/{*rest}', (ctx) => page(ctx, 'message.njk', {
    title: 'Not found', heading: 'Not found', message: 'There is no such page in the console.',
  }, 404));
  router.use(pages.routes());
  return router;
}
