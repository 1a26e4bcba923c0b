// Generated requests for each endpoint group: every /api operation of the live OpenAPI document, the OAuth and
// OpenID Connect endpoints, the interaction pages, the admin console and the internal listener.
import fc from 'fast-check';
import { connectionUpsertBody, newClientBody } from '../../src/schemas/clients.js';
import { newUserBody } from '../../src/schemas/users.js';
import type { HostileRequest, Kind } from './hostile.js';
import {
  type Body, type Component, type Pools, formBody, hostileComponent, hostileString, jsonBody, nastyString, pathComponent, queryString,
} from './hostileValues.js';
import { CHALLENGE, RP_URI, USER_EMAIL, type World } from './hostileWorld.js';

interface Parameter {
  name: string;
  in: 'path' | 'query';
  schema: object;
}

export interface Operation {
  method: string;
  /** OpenAPI path, '/api/clients/{id}'. */
  path: string;
  parameters: Parameter[];
  body?: object;
}

/** Every operation of the OpenAPI document. */
export function operations(doc: { paths: Record<string, Record<string, { parameters: Parameter[]; requestBody?: { content: Record<string, { schema: object }> } }>> }): Operation[] {
  return Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({
    method: method.toUpperCase(), path, parameters: op.parameters, body: op.requestBody?.content['application/json']?.schema,
  })));
}

const firstHostile = (...parts: Array<{ hostile: string | null } | undefined>) => parts.find((p) => p?.hostile)?.hostile ?? null;

/** The components that `path`'s placeholders use. */
function placed(path: string, values: Record<string, Component>): Component[] {
  return Object.entries(values).filter(([name]) => path.includes(`{${name}}`)).map(([, c]) => c);
}

/** A path with its `{name}` placeholders filled by `values`. */
function fill(path: string, values: Record<string, Component>): string {
  return path.replace(/\{(\w+)\}/g, (_m, name: string) => values[name].text);
}

function record<T>(entries: Array<[string, fc.Arbitrary<T>]>): fc.Arbitrary<Record<string, T>> {
  return entries.length ? fc.record(Object.fromEntries(entries)) : fc.constant({});
}

/** Authorization header values that are not a usable token. */
const BAD_AUTHORIZATION = [
  'Bearer', 'Bearer ', 'Bearer x', 'Bearer %00', 'Bearer ' + 'a'.repeat(600), 'Bearer a b', 'Basic Zm9vOmJhcg==', 'Token abc', 'bearer',
  'Bearer \u00ff\u00fe', 'Bearer "quoted"', 'Bearer ../../', 'Bearer ===', 'DPoP', 'DPoP x',
];

// ————— /api —————

function apiPools(world: World, caller: 'admin' | 'printer' | 'msp' | 'other', op: Operation): Pools {
  const v = world.victims;
  const own = caller === 'msp' ? [world.msp.client.id] : caller === 'printer' ? [world.printer.client.id] : [];
  return {
    id: /printers\/\{id\}/.test(op.path) ? v.servicePrinterIds : [...own, ...v.clientIds],
    connection_id: v.connectionIds,
    client_id: [...own, ...v.serviceIds],
    printer_id: v.systemPrinterIds,
    consumer_id: v.consumerIds,
    permissions: world.catalog,
    target_id: v.clientIds,
    actor_id: [world.admin.client.id],
  };
}

/** Who calls: ADMIN (every scope), PRINT_SERVICE, MSP, nobody, a bad header, or a DPoP-bound token with some proof. */
function apiAuth(world: World) {
  return fc.oneof(
    { weight: 6, arbitrary: fc.constant({ caller: 'admin' as const, header: () => `Bearer ${world.admin.token}`, dpop: undefined }) },
    { weight: 2, arbitrary: fc.constant({ caller: 'printer' as const, header: () => `Bearer ${world.printer.token}`, dpop: undefined }) },
    { weight: 2, arbitrary: fc.constant({ caller: 'msp' as const, header: () => `Bearer ${world.msp.token}`, dpop: undefined }) },
    { weight: 1, arbitrary: fc.constant({ caller: 'other' as const, header: () => '', dpop: undefined }) },
    { weight: 1, arbitrary: fc.constantFrom(...BAD_AUTHORIZATION).map((h) => ({ caller: 'other' as const, header: () => h, dpop: undefined })) },
    {
      weight: 1,
      arbitrary: fc.record({
        scheme: fc.constantFrom('DPoP', 'Bearer'),
        htm: fc.constantFrom('same', 'GET', 'post', ''),
        htu: fc.constantFrom('same', 'same/', 'http://evil.example/api/clients', 'not a url'),
        iat: fc.constantFrom<unknown>(0, -30, -600, 3600, 'now', null),
        jti: fc.oneof(fc.uuid(), fc.constant(''), fc.constant('j'.repeat(300)), hostileString.map(([s]) => s)),
        ath: fc.boolean(),
        proof: fc.constantFrom('signed', 'signed', 'none', 'garbage', 'a.b.c'),
      }).map((d) => ({ caller: 'other' as const, header: () => `${d.scheme} ${world.dpop.token}`, dpop: d })),
    },
  );
}

type DpopChoice = { htm: string; htu: string; iat: unknown; jti: string; ath: boolean; proof: string };

async function dpopProof(world: World, d: DpopChoice, method: string, url: string): Promise<string | undefined> {
  if (d.proof === 'none') return undefined;
  if (d.proof !== 'signed') return d.proof;
  const crypto = await import('node:crypto');
  const now = Math.floor(Date.now() / 1000);
  return world.dpop.sign({
    htm: d.htm === 'same' ? method : d.htm,
    htu: d.htu === 'same' ? url : d.htu === 'same/' ? `${url}/` : d.htu,
    iat: typeof d.iat === 'number' ? now + d.iat : d.iat,
    jti: d.jti,
    ath: d.ath ? crypto.createHash('sha256').update(world.dpop.token).digest('base64url') : 'wrong',
  });
}

/** A route that takes no body (CONTRACT §4: a field it does not take is a problem). */
const NO_BODY = { type: 'object', additionalProperties: false, properties: {} };

/** The operation's body; a route without one is sometimes sent one anyway (except GET, which cannot carry one). */
function requestBody(op: Operation, pools: Pools): fc.Arbitrary<Body | undefined> {
  if (op.body) return jsonBody(op.body, pools);
  if (op.method === 'GET') return fc.constant(undefined);
  return fc.option(jsonBody(NO_BODY, pools), { freq: 2 }).map((b) => b ?? undefined);
}

function apiRequest(world: World, op: Operation): fc.Arbitrary<HostileRequest> {
  return apiAuth(world).chain((auth) => {
    const pools = apiPools(world, auth.caller, op);
    const params = op.parameters.filter((p) => p.in === 'path');
    const query = { type: 'object', properties: Object.fromEntries(op.parameters.filter((p) => p.in === 'query').map((p) => [p.name, p.schema])) };
    return fc.tuple(
      record(params.map((p) => [p.name, pathComponent(p.schema, pools, p.name)])),
      queryString(query, pools),
      requestBody(op, pools),
    ).map(([path, q, body]): HostileRequest => {
      const target = `${fill(op.path, path)}${q.text}`;
      const headers: Record<string, string> = {};
      if (auth.header()) headers.authorization = auth.header();
      if (body) headers['content-type'] = body.contentType;
      const r: HostileRequest = {
        group: 'api', route: `${op.method} ${op.path}`, kind: 'api', listener: 'public', method: op.method, target, headers,
        body: body?.body, hostile: firstHostile(...Object.values(path), q, body),
      };
      if (auth.dpop) {
        const dpop = auth.dpop;
        r.before = async () => {
          const proof = await dpopProof(world, dpop, op.method, `${world.server.url}${target.split('?')[0]}`);
          if (proof) r.headers.dpop = proof;
        };
      }
      return r;
    });
  });
}

/** Paths under /api that no route takes, some with hostile segments. */
function unknownApiPath(world: World): fc.Arbitrary<HostileRequest> {
  return fc.tuple(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE'), pathComponent({ type: 'string' }, {}, 'x'), fc.constantFrom('', 'clients/', 'services/', 'print_service/'))
    .map(([method, c, prefix]) => ({
      group: 'api', route: `${method} /api/<unknown>`, kind: 'api' as Kind, listener: 'public' as const, method,
      target: `/api/${prefix}${c.text}/x`, headers: { authorization: `Bearer ${world.admin.token}` }, hostile: c.hostile,
    }));
}

export function apiRequests(world: World, ops: Operation[]): fc.Arbitrary<HostileRequest> {
  return fc.oneof(...ops.map((op) => apiRequest(world, op)), unknownApiPath(world));
}

// ————— OAuth and OpenID Connect endpoints —————

/** Cookie headers for provider endpoints: none mostly, sometimes hostile values of its own cookies. */
const providerCookie = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ text: '', hostile: null as string | null }) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('_session', '_interaction', '_session.legacy', '_interaction_resume'), hostileComponent).map(([k, [c, why]]) => ({ text: `${k}=${c}`, hostile: why })) },
  { weight: 1, arbitrary: fc.constantFrom('_session=abc', 'other=%00', '_session=', '=x', 'a=b;;;c') .map((text) => ({ text, hostile: null })) },
);

function withCookie(headers: Record<string, string>, cookie: { text: string }): Record<string, string> {
  return cookie.text ? { ...headers, cookie: cookie.text } : headers;
}

/** What a browser asks pages for, most of the time. */
const browserAccept = fc.option(fc.constant('text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8'), { freq: 5 });

const basicOf = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;

/** Client authentication headers: real, absent, not base64, or decoding to hostile text. */
function clientAuth(real: Array<[string, string]>): fc.Arbitrary<Component> {
  return fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...real).map(([id, s]) => ({ text: basicOf(encodeURIComponent(id), encodeURIComponent(s)), hostile: null })) },
    { weight: 2, arbitrary: fc.constant({ text: '', hostile: null }) },
    { weight: 1, arbitrary: fc.constantFrom('Basic %%%', 'Basic', 'Basic ' + Buffer.from('nocolon').toString('base64'), 'Bearer x', basicOf('', ''), basicOf('a'.repeat(3000), 'b')).map((text) => ({ text, hostile: null })) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...real), hostileComponent, fc.boolean()).map(([[id, s], [c, why], inId]) => ({ text: inId ? basicOf(c, s) : basicOf(encodeURIComponent(id), c), hostile: why })) },
    { weight: 1, arbitrary: fc.constantFrom(['\u0000:x', 'NUL'], ['x:\u0000', 'NUL'], ['\u0000', 'NUL']).map(([raw, why]) => ({ text: `Basic ${Buffer.from(raw).toString('base64')}`, hostile: why })) },
  );
}

const value = (...good: string[]) => fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...good) }, { weight: 1, arbitrary: nastyString });

function providerRequest(
  method: 'GET' | 'POST', path: string, fields: Record<string, fc.Arbitrary<string>>,
  auth?: fc.Arbitrary<Component>, kind: Kind = 'oauth',
): fc.Arbitrary<HostileRequest> {
  const input = method === 'GET'
    ? queryString({ type: 'object', properties: {} }, {}).chain((junk) => fc.record(fields, { requiredKeys: [] }).map((f) => {
      const pairs = Object.entries(f).map(([k, v]) => `${k}=${encodeURIComponent(v as string)}`);
      const extra = junk.text.slice(1);
      return { query: `?${[...pairs, ...(extra ? [extra] : [])].join('&')}`, body: undefined as Body | undefined, hostile: junk.hostile };
    }))
    : formBody(fields).map((b) => ({ query: '', body: b as Body | undefined, hostile: b.hostile }));
  return fc.tuple(input, auth ?? fc.constant({ text: '', hostile: null }), providerCookie, browserAccept).map(([i, a, cookie, accept]) => {
    const headers = withCookie(i.body ? { 'content-type': i.body.contentType } : {}, cookie);
    if (kind === 'page' && accept) headers.accept = accept;
    if (a.text) headers.authorization = a.text;
    return {
      group: 'oauth', route: `${method} ${path}`, kind, listener: 'public', method, target: `${path}${i.query}`, headers,
      body: i.body?.body, hostile: firstHostile(i, a, cookie),
    };
  });
}

export function oauthRequests(world: World): fc.Arbitrary<HostileRequest> {
  const v = world.victims;
  const clinic = world.clinic;
  const creds: Array<[string, string]> = [[clinic.id, clinic.conn.secret], v.basic, [world.admin.client.id, world.admin.self.secret]];
  const auth = {
    client_id: value(clinic.id, ...v.clientIds, 'no-such-client'), redirect_uri: value(RP_URI, 'https://evil.example/cb', `${RP_URI}/`),
    response_type: value('code', 'token', 'code id_token', 'none'), scope: value('openid', 'openid offline_access', 'openid client:read', 'profile'),
    state: value('s', 'x'.repeat(2000)), code_challenge: value(CHALLENGE, 'short'), code_challenge_method: value('S256', 'plain', 's256'),
    prompt: value('login', 'consent', 'none', 'select_account'), ui_locales: value('uk', 'en', 'de'), nonce: value('n'),
    max_age: value('0', '-1', '99999999999'), response_mode: value('query', 'fragment', 'form_post', 'web_message'),
    request: value('eyJhbGciOiJub25lIn0.e30.'), request_uri: value('urn:x'), claims: value('{"userinfo":{"email":null}}', '{'),
    login_hint: value(USER_EMAIL), id_token_hint: value('a.b.c'), resource: value('https://api.example'),
  };
  const token = {
    grant_type: value('authorization_code', 'refresh_token', 'client_credentials', 'password', 'urn:ietf:params:oauth:grant-type:device_code'),
    code: value('x'.repeat(43), 'short'), refresh_token: value('r'.repeat(43)), redirect_uri: value(RP_URI), code_verifier: value('v'.repeat(43)),
    scope: value('openid', 'client:read', 'client:read audit:read', 'printer:report', 'openid offline_access'),
    client_id: value(clinic.id, ...v.clientIds), client_secret: value(clinic.conn.secret, 'wrong'), resource: value('https://api.example'),
  };
  const tokens = { token: value(...v.tokens, 'not-a-token'), token_type_hint: value('access_token', 'refresh_token', 'client_credentials'), client_id: value(v.basic[0]) };
  const logout = {
    id_token_hint: value('a.b.c'), post_logout_redirect_uri: value(RP_URI, 'https://evil.example/'), state: value('s'),
    client_id: value(clinic.id), logout_hint: value(USER_EMAIL), ui_locales: value('uk', 'en'),
  };
  return fc.oneof(
    { weight: 4, arbitrary: providerRequest('GET', '/auth', auth, undefined, 'page') },
    { weight: 5, arbitrary: providerRequest('POST', '/token', token, clientAuth(creds)) },
    { weight: 2, arbitrary: providerRequest('POST', '/token/introspection', tokens, clientAuth(creds)) },
    { weight: 2, arbitrary: providerRequest('POST', '/token/revocation', tokens, clientAuth([v.basic])) },
    { weight: 1, arbitrary: providerRequest('GET', '/me', { access_token: value('x') }, fc.oneof(fc.constantFrom(...v.tokens).map((t) => ({ text: `Bearer ${t}`, hostile: null })), clientAuth(creds))) },
    { weight: 1, arbitrary: providerRequest('POST', '/me', { access_token: value(...v.tokens) }) },
    { weight: 1, arbitrary: providerRequest('GET', '/session/end', logout, undefined, 'page') },
    { weight: 1, arbitrary: providerRequest('POST', '/session/end/confirm', { xsrf: value('x'), logout: value('yes') }, undefined, 'page') },
    { weight: 1, arbitrary: providerRequest('GET', '/.well-known/openid-configuration', { x: value('1') }) },
    { weight: 1, arbitrary: providerRequest('GET', '/jwks', { x: value('1') }) },
  );
}

// ————— interaction pages —————

const FORWARDED = ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.1, 10.0.0.9', 'not-an-address', '%00', '999.1.1.1'];

export function interactionRequests(world: World): fc.Arbitrary<HostileRequest> {
  const real = [world.loginInteraction, world.consentInteraction];
  const uid = fc.oneof(
    { weight: 5, arbitrary: fc.constantFrom(...real).map((i) => ({ text: i.uid, hostile: null as string | null, cookie: i.cookie })) },
    { weight: 2, arbitrary: pathComponent({ type: 'string' }, {}, 'uid').map((c) => ({ ...c, cookie: real[0].cookie })) },
  );
  const cookie = fc.oneof(
    { weight: 5, arbitrary: fc.constant((own: string) => ({ text: own, hostile: null as string | null })) },
    { weight: 1, arbitrary: fc.constant(() => ({ text: '', hostile: null as string | null })) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom('_interaction', '_interaction.sig', '_session', '_interaction_resume'), hostileComponent)
      .map(([name, [c, why]]) => (own: string) => ({ text: `${own}; ${name}=${c}`, hostile: why as string | null })) },
  );
  const login = { email: value(USER_EMAIL, USER_EMAIL.toUpperCase(), ` ${USER_EMAIL}`), password: value('wrong password 1', 'x'.repeat(1024)) };
  const action = fc.constantFrom(
    { method: 'GET', suffix: '' }, { method: 'POST', suffix: '/login' }, { method: 'POST', suffix: '/login' },
    { method: 'POST', suffix: '/confirm' }, { method: 'POST', suffix: '/abort' }, { method: 'POST', suffix: '/nope' }, { method: 'GET', suffix: '/login' },
  );
  return fc.tuple(uid, cookie, action, formBody(login), fc.option(fc.constantFrom(...FORWARDED)), browserAccept).map(([u, c, a, form, forwarded, accept]) => {
    const k = c(u.cookie);
    const headers: Record<string, string> = accept ? { accept } : {};
    if (k.text) headers.cookie = k.text;
    if (forwarded) headers['x-forwarded-for'] = forwarded;
    const post = a.method === 'POST';
    if (post) headers['content-type'] = form.contentType;
    const hostile = firstHostile(u, k, post ? form : undefined);
    return {
      group: 'interaction', route: `${a.method} /interaction/{uid}${a.suffix}`, kind: 'page', listener: 'public', method: a.method,
      target: `/interaction/${u.text}${a.suffix}`, headers, body: post ? form.body : undefined, hostile,
      signInAttempt: a.suffix === '/login' && post && !hostile,
    };
  });
}

// ————— admin console —————

const CONSOLE_GETS = [
  '/console', '/console/services', '/console/services/new', '/console/services/{sid}', '/console/services/{sid}/printers', '/console/clients',
  '/console/clients/{cid}', '/console/clients/{cid}/connections/{conn}', '/console/audit', '/console/login', '/console/callback',
  '/console/signed-out', '/console/static/{file}', '/console/{junk}',
];
const CONSOLE_POSTS = [
  '/console/services', '/console/services/{sid}', '/console/services/{sid}/regenerate_secret', '/console/services/{sid}/delete',
  '/console/services/{sid}/printers', '/console/services/{sid}/printers/{pid}', '/console/services/{sid}/printers/{pid}/availability',
  '/console/services/{sid}/printers/{pid}/delete', '/console/clients/{cid}/block', '/console/clients/{cid}/unblock',
  '/console/clients/{cid}/connections/{conn}', '/console/clients/{cid}/connections/{conn}/refresh_secret',
  '/console/clients/{cid}/connections/{conn}/delete', '/console/logout',
];

export function consoleRequests(world: World): fc.Arbitrary<HostileRequest> {
  const v = world.victims;
  const pools: Pools = { sid: v.serviceIds, cid: v.clientIds, conn: v.connectionIds, pid: v.servicePrinterIds, file: ['console.css', 'console.js', 'x.css'], junk: ['x'] };
  const ids = record(['sid', 'cid', 'conn', 'pid', 'file', 'junk'].map((n) => [n, pathComponent({ type: 'string' }, pools, n)]));
  const query = queryString({
    type: 'object',
    properties: Object.fromEntries(['name', 'client_type', 'service_type', 'is_blocked', 'consumer_id', 'target_id', 'actor_id', 'action', 'from', 'to', 'page', 'page_size', 'return_to', 'state', 'code', 'error', 'error_description', 'iss']
      .map((k) => [k, { type: 'string', maxLength: 30 }])),
  }, { return_to: ['/console/clients', '//evil.example', '/console/../x'], from: ['2024-01-01T00:00', '2024-13-45T99:99'], page: ['0', '-1', '1e3', '99999999999'] });
  const session = fc.oneof(
    { weight: 6, arbitrary: fc.constant(() => ({ text: world.consoleCookie, hostile: null as string | null })) },
    { weight: 1, arbitrary: fc.constant(() => ({ text: '', hostile: null as string | null })) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom('gatehouse_console', 'gatehouse_console.sig', 'gatehouse_flash', 'gatehouse_console_login'), hostileComponent)
      .map(([name, [c, why]]) => () => ({ text: `${world.consoleCookie}; ${name}=${c}`, hostile: why as string | null })) },
  );
  const form = formBody({
    name: value('Renamed'), permissions: value(...world.catalog), service_type: value('PRINT_SERVICE', 'INTEGRATION'), client_id: value('new_service_x'),
    redirect_uri: value('https://ok.example/cb'), block_reason: value('because'), printer_id: value(...v.systemPrinterIds), enabled: value('true', 'false', 'on'),
  });
  const csrf = fc.constantFrom('none', 'none', 'wrong', 'other', 'valid');
  const get = fc.tuple(fc.constantFrom(...CONSOLE_GETS), ids, query, session, browserAccept).map(([path, id, q, s, accept]): HostileRequest => {
    const k = s();
    return {
      group: 'console', route: `GET ${path}`, kind: 'page', listener: 'public', method: 'GET', target: `${fill(path, id)}${q.text}`,
      headers: { ...(k.text ? { cookie: k.text } : {}), ...(accept ? { accept } : {}) }, hostile: firstHostile(...placed(path, id), q, k),
    };
  });
  const post = fc.tuple(fc.constantFrom(...CONSOLE_POSTS), ids, form, session, csrf, browserAccept).map(([path, id, f, s, token, accept]): HostileRequest => {
    const k = s();
    // A valid token only where the post cannot end the console session itself.
    const csrfValue = token === 'valid' && path !== '/console/logout' ? world.csrf : token === 'wrong' ? 'x'.repeat(36) : token === 'other' ? `${world.csrf.slice(0, -2)}aa` : undefined;
    const body = csrfValue && typeof f.body === 'string' ? `_csrf=${encodeURIComponent(csrfValue)}${f.body ? `&${f.body}` : ''}` : f.body;
    return {
      group: 'console', route: `POST ${path}`, kind: 'page', listener: 'public', method: 'POST', target: fill(path, id),
      headers: { 'content-type': f.contentType, ...(k.text ? { cookie: k.text } : {}), ...(accept ? { accept } : {}) }, body, hostile: firstHostile(...placed(path, id), f, k),
    };
  });
  return fc.oneof(get, post);
}

// ————— internal listener —————

export function internalRequests(world: World): fc.Arbitrary<HostileRequest> {
  const v = world.victims;
  const pools: Pools = { id: v.clientIds, consumer_id: v.consumerIds, client_id: v.clientIds, permissions: world.catalog, scopes: world.catalog };
  const make = (route: string, method: string, path: string, schema: object) =>
    fc.tuple(pathComponent({ type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{2,63}$' }, pools, 'id'), jsonBody(schema, pools)).map(([id, body]): HostileRequest => ({
      group: 'internal', route, kind: 'api', listener: 'internal', method, target: path.replace('{id}', id.text),
      headers: { 'content-type': body.contentType }, body: body.body, hostile: firstHostile(path.includes('{id}') ? id : undefined, body),
    }));
  return fc.oneof(
    make('POST /internal/clients', 'POST', '/internal/clients', newClientBody),
    make('PUT /internal/clients/{id}/connections', 'PUT', '/internal/clients/{id}/connections', connectionUpsertBody),
    { weight: 1, arbitrary: make('POST /internal/users', 'POST', '/internal/users', newUserBody) },
    make('POST /internal/<unknown>', 'POST', '/internal/{id}', { type: 'object' }),
  );
}
