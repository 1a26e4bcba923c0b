// The management REST API under /api (CONTRACT §4): one module per resource, each a table of RouteSpecs.
import Router from '@koa/router';
import type Provider from 'oidc-provider';
import type { Pool } from 'pg';
import type { EntityManager } from 'typeorm';
import type { Secrets } from '../domain/secrets.js';
import { type RouteSpec, mountRoutes } from './route.js';

export interface ApiDeps {
  manager: EntityManager;
  pool: Pool;
  secrets: Secrets;
  provider: Provider;
}

/** Every route of the API; the OpenAPI document is built from this same list. */
export function apiRoutes(_deps: ApiDeps): RouteSpec[] {
  return [];
}

export function apiRouter(deps: ApiDeps): Router {
  const router = new Router({ prefix: '/api' });
  mountRoutes(router, apiRoutes(deps), deps.provider, deps.pool);
  return router;
}
