// The admin console under /console (CONTRACT §7): server-rendered pages over the same domain functions as the API.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Router from '@koa/router';
import helmet from 'koa-helmet';
import send from 'koa-send';
import type Provider from 'oidc-provider';
import type { EntityManager } from 'typeorm';
import type { Secrets } from '../domain/secrets.js';
import { auditPages } from './audit.js';
import { clientPages } from './clients.js';
import { printerPages } from './printers.js';
import { servicePages } from './services.js';
import { signIn } from './signIn.js';
import { consoleErrors, csrfForm, page, signedIn } from './web.js';

const PUBLIC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../public/console');
const ASSET = /^[a-z0-9-]+\.(css|js)$/;

export interface ConsoleDeps {
  manager: EntityManager;
  secrets: Secrets;
  provider: Provider;
  issuer: string;
  cookieKeys: string[];
}

/** Where a signed-in user lands: the first section their scopes open. */
const HOME: Array<[string, string]> = [['service:read', '/console/services'], ['client:read', '/console/clients'], ['audit:read', '/console/audit']];

export function consoleRouter(deps: ConsoleDeps): Router {
  const { manager, secrets } = deps;
  const { router: signInRoutes, signOut, requireSession, registration } = signIn(deps);
  const consoleClientId = async () => (await registration())?.client_id;

  const router = new Router({ prefix: '/console' });
  router.use(helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"], scriptSrc: ["'self'"], styleSrc: ["'self'"], imgSrc: ["'self'", 'data:'],
        formAction: ["'self'"], frameAncestors: ["'none'"], baseUri: ["'none'"], objectSrc: ["'none'"],
      },
    },
    strictTransportSecurity: deps.issuer.startsWith('https:'),
  }));
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
  pages.use(clientPages(manager, secrets, consoleClientId).routes());
  pages.use(auditPages(manager).routes());
  pages.all('/{*rest}', (ctx) => page(ctx, 'message.njk', {
    title: 'Not found', heading: 'Not found', message: 'There is no such page in the console.',
  }, 404));
  router.use(pages.routes());
  return router;
}
