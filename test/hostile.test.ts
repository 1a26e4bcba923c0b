// CONTRACT §3 "Hostile text" and §4's error bodies, property-based: seeded fast-check requests to every endpoint group
// (every /api operation of the live OpenAPI document, the OAuth endpoints, the interaction pages, the console, the
// internal listener), built valid and then corrupted. Every answer: no 5xx, no stack trace, no SQL, no secret or hash;
// hostile text gets a 4xx of the endpoint's kind; a refused request changes nothing (a fingerprint before and after
// each request). Before it: the hostile list of issue 10 item 4 case by case, the cases the generated run found, and
// checks that the checks themselves can fail.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import fc from 'fast-check';
import { type Answer, Fingerprint, type HostileRequest, answerProblems, requestLine, send } from './support/hostile.js';
import { apiRequests, consoleRequests, interactionRequests, internalRequests, oauthRequests, type Operation, operations } from './support/hostileRequests.js';
import { USER_EMAIL, World } from './support/hostileWorld.js';

const SEED = Number(process.env.HOSTILE_SEED ?? 20_261_001);
const BATCHES = 12;
const PER_BATCH = 250;

let world: World;
let ops: Operation[];

beforeAll(async () => {
  world = await World.create();
  ops = operations(await (await fetch(`${world.server.url}/api/openapi.json`)).json());
}, 60_000);
afterAll(() => world?.close());

/** Sends `r` and says everything wrong with the answer, including a refusal that changed the database. */
async function check(r: HostileRequest): Promise<{ answer: Answer; problems: string[] }> {
  const before = await world.fp.take();
  const answer = await send(world.server, r);
  const after = await world.fp.take();
  const problems = answerProblems(r, answer, world.secrets);
  if (answer.status >= 400 && answer.status < 500) {
    const changed = Fingerprint.changed(before, after, r.signInAttempt);
    if (changed.length) problems.push(`refused with ${answer.status} but changed ${changed.join(', ')}`);
  }
  if (answer.status < 300) {
    // Secrets this answer mints may never appear again; the hashes it stored may never appear at all.
    world.secrets.harvest(answer.text);
    if (r.method !== 'GET') await world.secrets.addStoredHashes(world.fp.db);
  }
  return { answer, problems };
}

// ————— issue 10 item 4, case by case —————

const json = (target: string, body: unknown, method = 'PATCH', listener: 'public' | 'internal' = 'public'): HostileRequest => ({
  group: 'api', route: target, kind: 'api', listener, method, target,
  headers: { 'content-type': 'application/json', ...(listener === 'public' ? { authorization: `Bearer ${world.admin.token}` } : {}) },
  body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body), hostile: 'hostile text',
});
const get = (target: string, kind: HostileRequest['kind'], headers: Record<string, string> = {}, hostile: string | null = 'hostile text'): HostileRequest => ({
  group: 'explicit', route: target, kind, listener: 'public', method: 'GET', target, headers, hostile,
});
const form = (target: string, body: string, kind: HostileRequest['kind'], headers: Record<string, string> = {}): HostileRequest => ({
  group: 'explicit', route: target, kind, listener: 'public', method: 'POST', target,
  headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body, hostile: 'hostile text',
});
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

/** Checks each request in turn and returns the answers; any problem fails the test, naming every request with one. */
async function checked(...requests: HostileRequest[]): Promise<Answer[]> {
  const answers: Answer[] = [];
  const wrong: Array<{ request: string; status: number; problems: string[] }> = [];
  for (const r of requests) {
    const { answer, problems } = await check(r);
    if (problems.length) wrong.push({ request: requestLine(r), status: answer.status, problems });
    answers.push(answer);
  }
  expect(wrong).toEqual([]);
  return answers;
}

describe('the hostile list of issue 10 item 4', () => {
  test('GET /auth?client_id=%00 → an error page (400), no redirect', async () => {
    const [a] = await checked(get('/auth?client_id=%00&response_type=code&scope=openid&redirect_uri=https%3A%2F%2Frp.example%2Fcb', 'page'));
    expect(a.status).toBe(400);
    expect(a.headers.get('location')).toBeNull();
  });

  test('POST /token with client_id=%00… (form and Basic) → 400 invalid_request', async () => {
    const answers = await checked(
      form('/token', 'grant_type=client_credentials&client_id=%00abc&client_secret=x', 'oauth'),
      form('/token', 'grant_type=client_credentials', 'oauth', { authorization: basic('\u0000abc', 'x') }),
      form('/token', 'grant_type=client_credentials', 'oauth', { authorization: `Basic ${Buffer.from('%00abc:x').toString('base64')}` }),
    );
    for (const a of answers) expect({ status: a.status, error: JSON.parse(a.text).error }).toEqual({ status: 400, error: 'invalid_request' });
  });

  test('introspection with token=%00 → 400 invalid_request', async () => {
    const [a] = await checked(form('/token/introspection', 'token=%00', 'oauth', { authorization: basic(world.admin.client.id, world.admin.self.secret) }));
    expect({ status: a.status, error: JSON.parse(a.text).error }).toEqual({ status: 400, error: 'invalid_request' });
  });

  test('GET /api/clients?name=%00 → 400 request_malformed', async () => {
    const [a] = await checked(get('/api/clients?name=%00', 'api', { authorization: `Bearer ${world.admin.token}` }));
    expect({ status: a.status, body: JSON.parse(a.text) }).toEqual({ status: 400, body: { error: { type: 'request_malformed', message: expect.any(String) } } });
  });

  test('{"name":"\\u0000"} on /api and /internal → 4xx, nothing changed', async () => {
    const [victim] = world.victims.clientIds;
    const answers = await checked(
      json(`/api/clients/${victim}`, { name: '\u0000' }),
      json(`/api/services/${world.victims.serviceIds[0]}`, { name: '\u0000' }),
      json('/internal/clients', { name: '\u0000', client_type: 'MSP' }, 'POST', 'internal'),
      json('/internal/users', { email: 'x@example.test', password: 'long enough password', name: '\u0000', memberships: [] }, 'POST', 'internal'),
    );
    for (const a of answers) expect(JSON.parse(a.text)).toEqual({ error: { type: 'request_malformed', message: expect.any(String) } });
  });

  test('sign-in with email=%00 on a real interaction → a 4xx page, no audit event, no throttle counter', async () => {
    const { uid, cookie } = world.loginInteraction;
    const [a] = await checked(
      { ...form(`/interaction/${uid}/login`, 'email=%00&password=x', 'page', { cookie }) },
      { ...form(`/interaction/${uid}/login`, `email=${encodeURIComponent(USER_EMAIL)}%00&password=x`, 'page', { cookie }) },
    );
    expect(a.status).toBe(400);
  });

  test('console ids with %00 → a 4xx page', async () => {
    const [cid] = world.victims.clientIds;
    const cookie = { cookie: world.consoleCookie };
    await checked(
      get('/console/clients/%00', 'page', cookie), get('/console/services/%00', 'page', cookie), get('/console/services/%00/printers', 'page', cookie),
      get(`/console/clients/${cid}/connections/%00`, 'page', cookie), get('/console/clients/a%00b', 'page', cookie),
      form('/console/clients/%00/block', `_csrf=${encodeURIComponent(world.csrf)}&block_reason=x`, 'page', cookie),
      form(`/console/clients/${cid}/block`, `_csrf=${encodeURIComponent(world.csrf)}&block_reason=%00`, 'page', cookie),
    );
  });

  test('"\\ud800" in JSON fields that reach the audit log → 4xx, nothing changed (escaped and as raw bytes)', async () => {
    const v = world.victims;
    const [svc] = v.serviceIds;
    const raw = (text: string) => Buffer.concat(text.split('@').flatMap((part, i) => (i ? [Buffer.from([0xed, 0xa0, 0x80]), Buffer.from(part)] : [Buffer.from(part)])));
    await checked(
      json(`/api/clients/${v.clientIds[0]}`, { name: '\ud800' }),
      json(`/api/clients/${v.clientIds[0]}`, { is_blocked: true, block_reason: 'x\ud800' }),
      json(`/api/clients/${v.clientIds[0]}`, raw('{"name":"@"}')),
      json('/api/permissions', { name: 'audit:surrogate', description: '\ud800' }, 'POST'),
      json('/api/services', { client_id: 'surrogate_svc', name: 'ok\udc00', service_type: 'INTEGRATION' }, 'POST'),
      json(`/api/services/${svc}`, { name: '\ud800' }),
      json(`/api/services/${svc}/printers`, { printer_id: v.systemPrinterIds[1], name: '\ud800' }, 'POST'),
      json(`/api/services/${svc}/printers/${v.servicePrinterIds[0]}`, { name: '\ud800' }),
      { ...json('/api/print_service/printers', { printers: [{ system_name: 'lp9', description: '\ud800', status: 'online' }] }, 'PUT'), headers: { 'content-type': 'application/json', authorization: `Bearer ${world.printer.token}` } },
      json(`/api/clients/${v.clientIds[0]}/connections/${v.connectionIds[1]}`, { redirect_uri: 'https://x.example/\ud800' }),
      json('/internal/clients', { name: '\ud800', client_type: 'MIS' }, 'POST', 'internal'),
      json('/internal/clients', raw('{"name":"@","client_type":"MIS"}'), 'POST', 'internal'),
      json(`/internal/clients/${v.clientIds[0]}/connections`, { consumer_id: v.consumerIds[0], redirect_uri: 'https://x.example/\ud800' }, 'PUT', 'internal'),
      json('/internal/users', { email: 'surrogate@example.test', password: 'long enough password', name: '\ud800', memberships: [] }, 'POST', 'internal'),
    );
  });

  test('JSON nested 4,100 deep on PATCH /api/services/{id} → 400, nothing changed', async () => {
    const deep = `{"name":"x","permissions":${'['.repeat(4100)}${']'.repeat(4100)}}`;
    const [a] = await checked(json(`/api/services/${world.victims.serviceIds[0]}`, deep));
    expect(a.status).toBe(400);
  });

  test('?zzz=1 on PATCH /api/clients/{id} and DELETE …/connections/{cid} → 422 query_parameter, nothing changed', async () => {
    const v = world.victims;
    const connection = `/api/clients/${v.clientIds[0]}/connections/${v.connectionIds[1]}`;
    const answers = await checked(
      { ...json(`/api/clients/${v.clientIds[0]}?zzz=1`, { name: 'renamed by zzz' }), hostile: null },
      { ...json(`${connection}?zzz=1`, undefined, 'DELETE'), body: undefined, hostile: null },
    );
    for (const a of answers) expect({ status: a.status, body: JSON.parse(a.text) }).toEqual({ status: 422, body: invalid('$.zzz', 'additionalProperties') });
    const still = await send(world.server, { ...get(connection, 'api', { authorization: `Bearer ${world.admin.token}` }), hostile: null });
    expect(still.status).toBe(200);
  });

  test('?__proto__=1 → 422 $.__proto__ query_parameter, on a list, an update and a delete', async () => {
    const v = world.victims;
    const answers = await checked(
      { ...get('/api/clients?__proto__=1', 'api', { authorization: `Bearer ${world.admin.token}` }), hostile: null },
      { ...json(`/api/clients/${v.clientIds[0]}?__proto__=1`, { name: 'renamed by proto' }), hostile: null },
      { ...json(`/api/services/${v.serviceIds[1]}?__proto__[x]=1`, undefined, 'DELETE'), body: undefined, hostile: null },
    );
    expect(answers.map((a) => a.status)).toEqual([422, 422, 422]);
    expect(JSON.parse(answers[0].text)).toEqual(invalid('$.__proto__', 'additionalProperties'));
  });

  test('page=0x1 → 422 $.page type on every list', async () => {
    const lists = ['/api/clients', `/api/clients/${world.victims.clientIds[0]}/connections`, '/api/permissions', '/api/audit_events', '/api/services',
      `/api/services/${world.victims.serviceIds[0]}/printers`, `/api/services/${world.victims.serviceIds[0]}/available_printers`];
    const answers = await checked(...lists.map((p) => ({ ...get(`${p}?page=0x1`, 'api', { authorization: `Bearer ${world.admin.token}` }), hostile: null })));
    for (const a of answers) expect({ status: a.status, body: JSON.parse(a.text) }).toEqual({ status: 422, body: invalid('$.page', 'type') });
  });
});

describe('found by the generated run', () => {
  const raw = (...parts: Array<string | number[]>) => Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

  test('an RFC 3339 leap second in from/to of /api/audit_events → an answer, not a 500', async () => {
    const auth = { authorization: `Bearer ${world.admin.token}` };
    await checked(
      get('/api/audit_events?from=2016-12-31T23:59:60Z', 'api', auth, null),
      get('/api/audit_events?to=2016-12-31T23:59:60%2B00:00', 'api', auth, null),
    );
  });

  test('a hostile body on the abort post → a 4xx page, the interaction goes on', async () => {
    const { uid, cookie } = world.loginInteraction;
    const [a] = await checked(form(`/interaction/${uid}/abort`, 'x=%00', 'page', { cookie }));
    expect(a.headers.get('location')).toBeNull();
  });

  test('a body on a route that takes none: an unknown field → 422 additionalProperties, hostile text → 4xx; nothing changed', async () => {
    const v = world.victims;
    const [regenerate] = await checked({ ...json(`/api/services/${v.serviceIds[1]}/actions/regenerate_secret`, { client_secret: 'chosen-by-the-caller' }, 'POST'), hostile: null });
    expect({ status: regenerate.status, body: JSON.parse(regenerate.text) }).toEqual({ status: 422, body: invalid('$.client_secret', 'additionalProperties', 'json_data_property') });
    await checked(json(`/api/clients/${v.clientIds[0]}/connections/${v.connectionIds[1]}`, { x: '\u0000' }, 'DELETE'));
  });

  test('bytes that are not UTF-8 in a sign-in form → a 4xx page, not a sign-in attempt', async () => {
    const { uid, cookie } = world.loginInteraction;
    await checked(
      { ...form(`/interaction/${uid}/login`, '', 'page', { cookie }), body: raw('email=', [0xed, 0xa0, 0x80], '&password=x') },
      { ...form(`/interaction/${uid}/login`, '', 'page', { cookie }), body: raw(`email=${encodeURIComponent(USER_EMAIL)}&password=`, [0xc0, 0x80]) },
    );
  });

  test('bytes that are not UTF-8 in a console form with a valid CSRF token → a 4xx page, nothing changed', async () => {
    const [cid] = world.victims.clientIds;
    await checked({
      ...form(`/console/clients/${cid}/block`, '', 'page', { cookie: world.consoleCookie }),
      body: raw(`_csrf=${encodeURIComponent(world.csrf)}&block_reason=`, [0xed, 0xa0, 0x80]),
    });
  });
});

function invalid(entry: string, rule: string, entryType = 'query_parameter') {
  return {
    error: {
      type: 'validation_failed', message: expect.any(String),
      invalid: [{ entry, entry_type: entryType, rules: [{ rule, description: expect.any(String), params: expect.anything() }] }],
    },
  };
}

describe('the checks themselves', () => {
  test('the fingerprint sees a write that keeps every count and timestamp', async () => {
    const before = await world.fp.take();
    await world.fp.db.query("UPDATE clients SET name = name || '.' WHERE id = $1", [world.victims.clientIds[2]]);
    expect(Fingerprint.changed(before, await world.fp.take())).toEqual(['clients']);
  });

  test('an answer with a 5xx, a stack trace, SQL or a known secret is a problem', () => {
    const r = { ...get('/api/clients', 'api', {}, 'NUL'), group: 'self-check' };
    const answer = (status: number, text: string): Answer => ({ status, headers: new Headers({ 'content-type': 'application/json' }), text });
    expect(answerProblems(r, answer(400, '{"error":{"type":"request_malformed","message":"x"}}'), world.secrets)).toEqual([]);
    expect(answerProblems(r, answer(500, 'Internal Server Error'), world.secrets)).toEqual(expect.arrayContaining(['status 500']));
    expect(answerProblems(r, answer(200, '{}'), world.secrets)).toEqual(['hostile input (NUL) answered 200, not a 4xx']);
    for (const leak of ['Error: boom\n    at f (/work/main/src/x.ts:1:2)', 'syntax error at or near "x"', world.admin.self.secret]) {
      expect(answerProblems(r, answer(400, `{"error":{"type":"x","message":${JSON.stringify(leak)}}}`), world.secrets)).not.toEqual([]);
    }
  });
});

// ————— generated —————

test(`${BATCHES * PER_BATCH} generated requests: no 5xx, no leak, hostile text refused with a 4xx of its kind, refusals change nothing`, async () => {
  const started = Date.now();
  const tally = new Map<string, number>();
  const statuses = new Map<string, number>();
  const found = new Map<string, string>();
  for (let batch = 0; batch < BATCHES; batch++) {
    if (batch) await world.refresh();
    const request = fc.oneof(
      { weight: 10, arbitrary: apiRequests(world, ops) },
      { weight: 4, arbitrary: oauthRequests(world) },
      { weight: 2, arbitrary: interactionRequests(world) },
      { weight: 3, arbitrary: consoleRequests(world) },
      { weight: 2, arbitrary: internalRequests(world) },
    );
    await fc.assert(fc.asyncProperty(request, async (r) => {
      const { answer, problems } = await check(r);
      tally.set(r.group, (tally.get(r.group) ?? 0) + 1);
      const bucket = `${r.group} ${Math.floor(answer.status / 100)}xx${r.hostile ? ' (hostile)' : ''}`;
      statuses.set(bucket, (statuses.get(bucket) ?? 0) + 1);
      for (const p of problems) {
        const key = `${r.route}: ${p}`;
        if (!found.has(key)) found.set(key, `${requestLine(r)}\n      → ${answer.status} ${answer.text.slice(0, 240).replace(/\s+/g, ' ')}`);
      }
      return true; // problems are collected, so that one run lists them all
    }), { seed: SEED + batch, numRuns: PER_BATCH });
  }
  const sent = [...tally.values()].reduce((a, b) => a + b, 0);
  console.log(`hostile input: seed ${SEED} (batch i uses seed ${SEED}+i), ${sent} generated requests in ${((Date.now() - started) / 1000).toFixed(1)} s\n`
    + `  per group: ${JSON.stringify(Object.fromEntries(tally))}\n  answers: ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);
  expect(sent).toBeGreaterThanOrEqual(2000);
  expect([...found].map(([what, example]) => `${what}\n      ${example}`)).toEqual([]);
}, 180_000);
