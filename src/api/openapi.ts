// GET /api/openapi.json and GET /api/docs (CONTRACT §4): the OpenAPI 3.1 document is built from the same
// RouteSpecs, and so the same JSON Schemas, that mount and validate the routes; the viewer is swagger-ui-dist
// served from node_modules (the machine may be offline, so no CDN).
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Context } from 'koa';
import { INVALID_ENTRY_TYPES } from '../schemas/validate.js';
import { NO_QUERY, type RouteSpec } from './route.js';

const require = createRequire(import.meta.url);
const SWAGGER_UI_DIR = path.dirname(require.resolve('swagger-ui-dist/package.json'));

/** The viewer's files that /api/docs/{file} serves, and their media types. */
const DOCS_ASSETS: Record<string, string> = {
  'swagger-ui.css': 'text/css; charset=utf-8',
  'swagger-ui-bundle.js': 'application/javascript; charset=utf-8',
  'favicon-32x32.png': 'image/png',
};

// Our own initializer as a file, not an inline script, so a strict Content-Security-Policy still allows it.
const INITIALIZER = `window.onload = function () {
  window.ui = SwaggerUIBundle({
    url: '/api/openapi.json', dom_id: '#swagger-ui', deepLinking: true, validatorUrl: null,
    presets: [SwaggerUIBundle.presets.apis], layout: 'BaseLayout',
  });
};
`;

const DOCS_PAGE = `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Gatehouse management API</title>
  <link rel="stylesheet" href="/api/docs/swagger-ui.css">
  <link rel="icon" type="image/png" href="/api/docs/favicon-32x32.png">
</head>
<body>
  <div id="swagger-ui"></div>
  <script src="/api/docs/swagger-ui-bundle.js"></script>
  <script src="/api/docs/init.js"></script>
</body>
</html>
`;

const errorSchema = (type: string, withMessage = true, extra: Record<string, object> = {}) => ({
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: withMessage ? ['type', 'message'] : ['type'],
      properties: { type: { const: type }, ...(withMessage ? { message: { type: 'string' } } : {}), ...extra },
    },
  },
});

const COMPONENTS = {
  securitySchemes: {
    bearer: { type: 'http', scheme: 'bearer', description: 'An opaque access token of this server (client_credentials or authorization code)' },
  },
  schemas: {
    Paging: {
      type: 'object',
      required: ['page_number', 'page_size', 'total_entries', 'total_pages'],
      properties: {
        page_number: { type: 'integer' }, page_size: { type: 'integer' },
        total_entries: { type: 'integer' }, total_pages: { type: 'integer' },
      },
    },
    AccessDenied: errorSchema('access_denied'),
    Forbidden: errorSchema('forbidden'),
    NotFound: errorSchema('not_found', false),
    Conflict: errorSchema('conflict'),
    RequestMalformed: errorSchema('request_malformed'),
    RequestTooLarge: errorSchema('request_too_large'),
    UnsupportedMediaType: errorSchema('unsupported_media_type'),
    ValidationFailed: errorSchema('validation_failed', true, {
      invalid: {
        type: 'array',
        items: {
          type: 'object',
          required: ['entry', 'entry_type', 'rules'],
          properties: {
            entry: { type: 'string', examples: ['$.redirect_uri'] },
            entry_type: { type: 'string', enum: [...INVALID_ENTRY_TYPES] },
            rules: {
              type: 'array',
              items: {
                type: 'object', required: ['rule', 'description'],
                properties: { rule: { type: 'string' }, description: { type: 'string' }, params: {} },
              },
            },
          },
        },
      },
    }),
  },
};

const ERRORS: Record<number, { description: string; schema: string }> = {
  400: { description: 'The body is not valid JSON', schema: 'RequestMalformed' },
  401: { description: 'Missing, unknown, expired or revoked access token', schema: 'AccessDenied' },
  403: { description: '"Invalid scopes" when the token lacks the scope; "forbidden" when the caller may not address this client', schema: 'Forbidden' },
  404: { description: 'Unknown id', schema: 'NotFound' },
  409: { description: 'Taken', schema: 'Conflict' },
  413: { description: 'The body is over 64 KiB', schema: 'RequestTooLarge' },
  415: { description: 'The body is not application/json', schema: 'UnsupportedMediaType' },
  422: { description: 'Invalid input: every problem is listed', schema: 'ValidationFailed' },
};

/** '/clients/:id' → '/clients/{id}' */
export function openApiPath(koaPath: string): string {
  return koaPath.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

function parameters(schema: unknown, where: 'path' | 'query') {
  const s = schema as { properties?: Record<string, object>; required?: string[] } | undefined;
  return Object.entries(s?.properties ?? {}).map(([name, property]) => ({
    name, in: where, required: where === 'path' || !!s?.required?.includes(name), schema: property,
  }));
}

function errorStatuses(spec: RouteSpec): number[] {
  const statuses = new Set<number>(spec.errors ?? []);
  if (spec.auth !== 'public') statuses.add(401);
  if (spec.scopes.length || spec.ownClientParam || spec.only) statuses.add(403);
  if (spec.params) statuses.add(404);
  statuses.add(422); // every route checks its query (CONTRACT §4: an unknown parameter is a problem)
  if (spec.body || spec.method !== 'get') for (const s of [400, 413, 415]) statuses.add(s);
  return [...statuses].sort();
}

function success(spec: RouteSpec) {
  if (spec.status === 204) return { description: 'Done; no body' };
  if (spec.raw) return { description: 'OK', content: { [spec.produces ?? 'application/octet-stream']: { schema: {} } } };
  const data = spec.response ?? {};
  const schema = spec.list
    ? { type: 'object', required: ['data', 'paging'], properties: { data: { type: 'array', items: data }, paging: { $ref: '#/components/schemas/Paging' } } }
    : { type: 'object', required: ['data'], properties: { data: spec.many ? { type: 'array', items: data } : data } };
  return { description: spec.status === 201 ? 'Created' : 'OK', content: { 'application/json': { schema } } };
}

function operation(spec: RouteSpec) {
  const responses: Record<string, object> = { [spec.status]: success(spec) };
  if (spec.mayCreate) responses[201] = { ...success(spec), description: 'Created' };
  for (const status of errorStatuses(spec)) {
    const e = ERRORS[status];
    const description = status === 413 && spec.bodyLimit ? `The body is over ${spec.bodyLimit}, or what it carries is over its limit` : e.description;
    responses[status] = { description, content: { 'application/json': { schema: { $ref: `#/components/schemas/${e.schema}` } } } };
  }
  const scopeNote = spec.auth === 'public' ? 'No token needed.'
    : spec.scopes.length ? `Needs any one of the scopes: ${spec.scopes.join(', ')}.` : 'Any valid access token.';
  const contextNote = (spec.ownClientParam ? ' A non-ADMIN caller may address only its own client id.' : '')
    + (spec.only ? ` Only a ${spec.only} client may call it.` : '');
  return {
    summary: spec.summary,
    description: scopeNote + contextNote,
    operationId: `${spec.method}${openApiPath(spec.path).replace(/[{}]/g, '').replace(/[/_](\w)/g, (_m, c: string) => c.toUpperCase())}`,
    ...(spec.tag ? { tags: [spec.tag] } : {}),
    // Alternatives in a security list are OR (OpenAPI 3.1 §4.8.30): any one of the route's scopes will do.
    security: spec.auth === 'public' ? [] : spec.scopes.length ? spec.scopes.map((s) => ({ bearer: [s] })) : [{ bearer: [] }],
    'x-scopes': [...spec.scopes],
    parameters: [...parameters(spec.params, 'path'), ...parameters(spec.query ?? NO_QUERY, 'query')],
    ...(spec.body ? { requestBody: { required: !!(spec.body as { required?: string[] }).required?.length, content: { 'application/json': { schema: spec.body } } } } : {}),
    responses,
  };
}

/** The OpenAPI 3.1 document of `routes`, mounted under /api. */
export function openApiDocument(routes: RouteSpec[]) {
  const paths: Record<string, Record<string, object>> = {};
  for (const spec of routes) {
    const p = `/api${openApiPath(spec.path)}`;
    (paths[p] ??= {})[spec.method] = operation(spec);
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Gatehouse management API',
      version: '1',
      description: 'Clients, connections, services, printers, permissions and the audit log (CONTRACT §4).',
    },
    jsonSchemaDialect: 'https://spec.openapis.org/oas/3.1/dialect/base',
    paths,
    components: COMPONENTS,
  };
}

async function docsAsset(file: string): Promise<Buffer | string> {
  if (file === 'init.js') return INITIALIZER;
  return fs.readFile(path.join(SWAGGER_UI_DIR, file));
}

/** The document's own routes; `routes` is the final list (these included), read at request time. */
export function openApiRoutes(routes: RouteSpec[]): RouteSpec[] {
  let document: unknown;
  return [
    {
      method: 'get', path: '/openapi.json', tag: 'docs', summary: 'This OpenAPI 3.1 document', scopes: [], auth: 'public',
      status: 200, raw: true, produces: 'application/json',
      handler: async (ctx: Context) => {
        ctx.type = 'application/json';
        ctx.body = (document ??= openApiDocument(routes));
      },
    },
    {
      method: 'get', path: '/docs', tag: 'docs', summary: 'A page that renders this document', scopes: [], auth: 'public',
      status: 200, raw: true, produces: 'text/html',
      handler: async (ctx: Context) => {
        ctx.type = 'text/html; charset=utf-8';
        ctx.body = DOCS_PAGE;
      },
    },
    {
      method: 'get', path: '/docs/:file', tag: 'docs', summary: "The docs page's files", scopes: [], auth: 'public',
      params: { type: 'object', required: ['file'], properties: { file: { type: 'string', enum: [...Object.keys(DOCS_ASSETS), 'init.js'] } } },
      status: 200, raw: true, produces: 'application/octet-stream',
      handler: async (ctx: Context) => {
        const file = ctx.state.params.file as string;
        ctx.type = DOCS_ASSETS[file] ?? 'application/javascript; charset=utf-8';
        ctx.set('cache-control', 'public, max-age=86400');
        ctx.body = await docsAsset(file);
      },
    },
  ];
}
