// A route of the management API declared as data: the same declaration mounts the Koa route (bearer →
// scope → path/query validation → context → body validation → handler → response shaping) and describes
// it in the OpenAPI document, so the two cannot drift apart.
import Router from '@koa/router';
import AjvModule, { type Schema } from 'ajv';
import type { Context, Middleware } from 'koa';
import type { Pool } from 'pg';
import { bearer, onlyFor, ownClient, requireScope } from './auth.js';
import { emptyBody } from '../schemas/common.js';
import { validateBody, validateParams, validateQuery } from './validation.js';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteSpec {
  method: Method;
  /** Koa style, e.g. '/clients/:id/connections/:connection_id'. */
  path: string;
  summary: string;
  /** OpenAPI tag: the resource the route belongs to. */
  tag?: string;
  /** Any one of these scopes; [] = any valid token. */
  scopes: readonly string[];
  /** 'public': no bearer token at all (the OpenAPI document and its viewer). Default 'bearer'. */
  auth?: 'bearer' | 'public';
  /** Path parameter naming the client that a non-ADMIN caller must be (CONTRACT §4 "Context"). */
  ownClientParam?: string;
  /** A door reserved to one client type, whatever scopes another holds (src/domain/visibility.ts): else 403 forbidden. */
  only?: 'ADMIN' | 'PRINT_SERVICE';
  params?: Schema;
  /** Its query parameters; without one the route takes none, and any parameter is a 422 problem (CONTRACT §4). */
  query?: Schema;
  body?: Schema;
  /** Largest body the route reads, when it takes more than the API's 64 KiB (a print job's document, CONTRACT §9). */
  bodyLimit?: string;
  /** Status of success; 204 sends no body. */
  status: 200 | 201 | 204;
  /** Also answers 201 with the same body when the handler created the thing (sets ctx.state.status). */
  mayCreate?: boolean;
  /** Schema of one item of `data`; unknown fields are stripped from responses before they are sent. */
  response?: Schema;
  /** `data` is a list with `paging`. */
  list?: boolean;
  /** `data` is an array of `response` items without `paging` (what a print service claims, CONTRACT §9). */
  many?: boolean;
  /** Error statuses the handler itself may answer (404, 409), for the OpenAPI document. */
  errors?: Array<404 | 409>;
  /** The handler sets ctx.body and ctx.type itself (non-JSON responses); `produces` names the media type. */
  raw?: boolean;
  produces?: string;
  handler: (ctx: Context) => Promise<unknown>;
}

const Ajv = AjvModule.default ?? AjvModule;
// Shapes responses: anything not in the response schema (a secret hash, say) is removed, never sent.
// allErrors so that one invalid field cannot stop the removal before it reaches the rest.
const shaper = new Ajv({ removeAdditional: 'all', strict: false, validateFormats: false, allErrors: true });

/** The JSON the route will send: serialised first (dates become strings), then stripped to the schema. */
export function responseShaper(schema: Schema | undefined): (data: unknown) => unknown {
  const shape = schema ? shaper.compile(schema) : undefined;
  return (data) => {
    if (data === undefined) return data;
    const json = JSON.parse(JSON.stringify(data));
    if (shape) for (const item of Array.isArray(json) ? json : [json]) shape(item);
    return json;
  };
}

/** The query schema of a route that takes no query parameters. */
export const NO_QUERY = { type: 'object', additionalProperties: false, properties: {} } as const;

export function mountRoutes(router: Router, specs: RouteSpec[], { pool, issuer }: { pool: Pool; issuer: string }): void {
  const authenticate = bearer(pool, issuer);
  for (const spec of specs) {
    const shape = responseShaper(spec.response);
    const chain: Middleware[] = spec.auth === 'public' ? [] : [authenticate, requireScope(spec.scopes)];
    if (spec.params) chain.push(validateParams(spec.params));
    chain.push(validateQuery(spec.query ?? NO_QUERY));
    if (spec.ownClientParam) chain.push(ownClient(spec.ownClientParam));
    if (spec.only) chain.push(onlyFor(spec.only));
    // A route that takes no body refuses one like any unknown field (CONTRACT §4): a DELETE or an action that
    // ignored it would quietly accept what its caller meant to change.
    if (spec.body) chain.push(validateBody(spec.body, spec.bodyLimit));
    else if (spec.method !== 'get') chain.push(validateBody(emptyBody));
    chain.push(async (ctx) => {
      const result = await spec.handler(ctx);
      // A handler may answer another success status (201 created or 200 replaced, CONTRACT §8 memberships).
      ctx.status = (ctx.state.status as number | undefined) ?? spec.status;
      if (spec.status === 204 || spec.raw) return;
      const payload = (spec.list ? { ...(result as object) } : { data: result }) as { data: unknown };
      payload.data = shape(payload.data);
      ctx.body = payload;
    });
    router[spec.method](spec.path, ...(chain as Parameters<Router['get']>[1][]));
  }
}
