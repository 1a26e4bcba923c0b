// GET /api/openapi.json and GET /api/docs (CONTRACT §4): a valid OpenAPI 3.1 document naming every route that
// the router serves, built from the same schemas that validate requests; a docs page served without a CDN.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { apiRouter } from '../src/api/index.js';
import { responseShaper } from '../src/api/route.js';
import { connectionPatchBody, connectionView } from '../src/schemas/clients.js';
import { api } from './support/api.js';
import { launchBrowser, screenshot } from './support/browser.js';
import { startServer, type TestServer } from './support/server.js';

let server: TestServer;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let doc: any;

beforeAll(async () => {
  server = await startServer();
  const res = await api(server, 'GET', '/api/openapi.json');
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  doc = res.body;
});
afterAll(() => server?.stop());

/** Every (method, path) the mounted /api router serves, read from the router itself. */
function servedRoutes(): string[] {
  const { gatehouse } = server;
  const router = apiRouter({ manager: gatehouse.db.dataSource.manager, pool: gatehouse.db.pool, secrets: gatehouse.secrets, issuer: server.url, printQueue: gatehouse.printQueue });
  const served = new Set<string>();
  for (const layer of router.stack) {
    for (const method of layer.methods) {
      if (method === 'HEAD') continue;
      served.add(`${method.toLowerCase()} ${String(layer.path).replace(/:([A-Za-z0-9_]+)/g, '{$1}')}`);
    }
  }
  return [...served].sort();
}

describe('GET /api/openapi.json', () => {
  test('validates as OpenAPI 3.1', async () => {
    const validator = new Validator();
    const result = await validator.validate(doc);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  test('every schema in it is valid JSON Schema 2020-12 (the dialect of OpenAPI 3.1)', () => {
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    const schemas: unknown[] = [...Object.values(doc.components.schemas)];
    for (const ops of Object.values(doc.paths) as Array<Record<string, any>>) {
      for (const op of Object.values(ops)) {
        for (const p of op.parameters) schemas.push(p.schema);
        if (op.requestBody) schemas.push(op.requestBody.content['application/json'].schema);
      }
    }
    expect(schemas.length).toBeGreaterThan(30);
    for (const schema of schemas) expect(ajv.validateSchema(schema as object)).toBe(true);
  });

  test('names every route that the router serves, and no other', () => {
    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
      .flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method} ${path}`)).sort();
    const served = servedRoutes();
    expect(served.length).toBeGreaterThanOrEqual(13);
    expect(documented).toEqual(served);
  });

  test('each bearer route states its scopes and its error responses', () => {
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, any>>)) {
      for (const [method, op] of Object.entries(ops)) {
        if (path.startsWith('/api/docs') || path === '/api/openapi.json') {
          expect(op.security).toEqual([]);
          continue;
        }
        const security = op['x-scopes'].length ? op['x-scopes'].map((s: string) => ({ bearer: [s] })) : [{ bearer: [] }];
        expect({ route: `${method} ${path}`, security: op.security }).toEqual({ route: `${method} ${path}`, security });
        expect(Object.keys(op.responses)).toEqual(expect.arrayContaining(op['x-scopes'].length ? ['401', '403'] : ['401']));
      }
    }
    const refresh = doc.paths['/api/clients/{id}/connections/{connection_id}/actions/refresh_secret'].patch;
    expect(refresh.security).toEqual([{ bearer: ['connection:refresh_secret'] }, { bearer: ['connection:delete'] }]);
    expect(Object.keys(refresh.responses).sort()).toEqual(['200', '400', '401', '403', '404', '413', '415', '422']);
    expect(doc.paths['/api/permissions'].get['x-scopes']).toEqual([]);
    expect(Object.keys(doc.paths['/api/permissions'].post.responses).sort()).toEqual(['201', '400', '401', '403', '409', '413', '415', '422']);
    expect(Object.keys(doc.paths['/api/clients/{id}/connections/{connection_id}'].delete.responses)).toContain('204');
  });

  test('its schemas are the ones that validate requests and shape responses', () => {
    const patch = doc.paths['/api/clients/{id}/connections/{connection_id}'].patch;
    expect(patch.requestBody.content['application/json'].schema).toEqual(JSON.parse(JSON.stringify(connectionPatchBody)));
    expect(patch.responses['200'].content['application/json'].schema.properties.data).toEqual(JSON.parse(JSON.stringify(connectionView)));
    const list = doc.paths['/api/clients'].get;
    expect(list.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`)).toEqual(
      ['query:page', 'query:page_size', 'query:name', 'query:client_type', 'query:is_blocked'],
    );
  });
});

describe('response shaping', () => {
  test('a field outside the response schema (a hash, say) never leaves the server', () => {
    const shape = responseShaper(connectionView);
    const row = { id: 'x', client_id: 'c', consumer_id: 'c', redirect_uri: null, secret_hash: 'h', inserted_at: new Date(0), updated_at: new Date(0) };
    expect(shape([row])).toEqual([{ id: 'x', client_id: 'c', consumer_id: 'c', redirect_uri: null, inserted_at: '1970-01-01T00:00:00.000Z', updated_at: '1970-01-01T00:00:00.000Z' }]);
  });
});

describe('GET /api/docs', () => {
  test('renders the document with swagger-ui served from node_modules, nothing from another host', async () => {
    const page = await api(server, 'GET', '/api/docs');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const refs = [...page.text.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThanOrEqual(3);
    for (const ref of refs) {
      expect(ref.startsWith('/api/docs/')).toBe(true);
      const asset = await api(server, 'GET', ref);
      expect({ ref, status: asset.status }).toEqual({ ref, status: 200 });
    }
    const init = await api(server, 'GET', '/api/docs/init.js');
    expect(init.text).toContain("'/api/openapi.json'");
    const bundle = await fetch(`${server.url}/api/docs/swagger-ui-bundle.js`);
    expect(bundle.headers.get('content-type')).toMatch(/^application\/javascript/);
    expect((await bundle.arrayBuffer()).byteLength).toBeGreaterThan(500_000);
    const unknown = await api(server, 'GET', '/api/docs/package.json');
    expect(unknown.status).toBe(422);
    expect((await api(server, 'GET', '/api/docs/..%2Fpackage.json')).status).toBe(422);
  });
});

describe('GET /api/docs in a browser', () => {
  test('swagger-ui renders every operation without any request leaving this server', async () => {
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const foreign: string[] = [];
      const failed: string[] = [];
      const errors: string[] = [];
      await page.route('**/*', (route) => {
        if (new URL(route.request().url()).origin === server.url) return route.continue();
        foreign.push(route.request().url());
        return route.abort();
      });
      page.on('requestfailed', (r) => failed.push(r.url()));
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`${server.url}/api/docs`);
      await page.locator('.opblock').first().waitFor({ timeout: 20_000 });
      const operations = await page.locator('.opblock').count();
      expect(operations).toBe(Object.values(doc.paths).flatMap((ops) => Object.keys(ops as object)).length);
      await expect(page.getByText('Gatehouse management API').first().isVisible()).resolves.toBe(true);
      await screenshot(page, 'api-docs');
      expect({ foreign, failed, errors }).toEqual({ foreign: [], failed: [], errors: [] });
    } finally {
      await browser.close();
    }
  }, 60_000);
});
