// A route of the management API declared as data: the same declaration mounts the Koa route (bearer →
// scope → path/query validation → context → body validation → handler → response shaping) and describes
// it in the OpenAPI document, so the two cannot drift apart.
import Router from '@koa/router';
import AjvModule, { type Schema } from 'ajv';
import type { Context, Middleware } from 'koa';
import type Provider from 'oidc-provider';
import type { Pool } from 'pg';
import { bearer, ownClient, requireScope } from './auth.js';
import { validateBody, validateParams, validateQuery } from './validation.js';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteSpec {
  method: Method;
  /** Koa style, e.g. '/clients/:id/connections/:connection_id'. */
  path: string;
  summary: string;
  /** Any one of these scopes; [] = any valid token. */
  scopes: readonly string[];
  /** Path parameter naming the client that a non-ADMIN caller must be (CONTRACT §4 "Context"). */
  ownClientParam?: string;
  /** Extra checks after authentication and before the body is read (e.g. ADMIN only). */
  guards?: Middleware[];
  params?: Schema;
  query?: Schema;
  body?: Schema;
  /** Status of success; 204 sends no body. */
  status: 200 | 201 | 204;
  /** Schema of one item of `data`; unknown fields are stripped from responses before they are sent. */
  response?: Schema;
  /** `data` is a list with `paging`. */
  list?: boolean;
  handler: (ctx: Context) => Promise<unknown>;
}

const Ajv = AjvModule.default ?? AjvModule;
// Shapes responses: anything not in the response schema (a secret hash, say) is removed, never sent.
const shaper = new Ajv({ removeAdditional: 'all', strict: false, validateFormats: false });

export function mountRoutes(router: Router, specs: RouteSpec[], provider: Provider, pool: Pool): void {
  const authenticate = bearer(provider, pool);
  for (const spec of specs) {
    const shape = spec.response ? shaper.compile(spec.response) : undefined;
    const chain: Middleware[] = [authenticate, requireScope(spec.scopes)];
    if (spec.params) chain.push(validateParams(spec.params));
    if (spec.query) chain.push(validateQuery(spec.query));
    if (spec.ownClientParam) chain.push(ownClient(spec.ownClientParam));
    chain.push(...(spec.guards ?? []));
    if (spec.body) chain.push(validateBody(spec.body));
    chain.push(async (ctx) => {
      const result = await spec.handler(ctx);
      ctx.status = spec.status;
      if (spec.status === 204) return;
      const payload = (spec.list ? result : { data: result }) as { data: unknown };
      if (shape) for (const item of Array.isArray(payload.data) ? payload.data : [payload.data]) shape(item);
      ctx.body = payload;
    });
    router[spec.method](spec.path, ...(chain as Parameters<Router['get']>[1][]));
  }
}
