// The management REST API under /api (CONTRACT §4): one module per resource, each a table of RouteSpecs.
import Router from '@koa/router';
import { auditEventRoutes } from './auditEvents.js';
import { clientRoutes } from './clients.js';
import { connectionRoutes } from './connections.js';
import type { ApiDeps } from './deps.js';
import { openApiRoutes } from './openapi.js';
import { permissionRoutes } from './permissions.js';
import { printJobRoutes } from './printJobs.js';
import { printerRoutes } from './printers.js';
import { type RouteSpec, mountRoutes } from './route.js';
import { serviceRoutes } from './services.js';
import { userMfaRoutes } from './userMfa.js';
import { userRoutes } from './users.js';

/** Every route of the API; the OpenAPI document is built from this same list. */
export function apiRoutes(deps: ApiDeps): RouteSpec[] {
  const routes: RouteSpec[] = [
    ...clientRoutes(deps),
    ...connectionRoutes(deps),
    ...permissionRoutes(deps),
    ...auditEventRoutes(deps),
    ...serviceRoutes(deps),
    ...printerRoutes(deps),
    ...printJobRoutes(deps),
    ...userRoutes(deps),
    ...userMfaRoutes(deps),
  ];
  // The document describes every route above and its own routes too.
  routes.push(...openApiRoutes(routes));
  return routes;
}

export function apiRouter(deps: ApiDeps): Router {
  const router = new Router({ prefix: '/api' });
  mountRoutes(router, apiRoutes(deps), { pool: deps.pool, issuer: deps.issuer });
  return router;
}
