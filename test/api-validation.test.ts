// Bad input to /api (CONTRACT §4): each gets the contract's 4xx body and changes nothing.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { BUILTIN_PERMISSIONS } from '../src/domain/clientTypes.js';
import { api, callerOfType, type ApiCaller } from './support/api.js';
import { createClient, putConnection, type TestConnection } from './support/internal.js';
import { startServer, type TestServer } from './support/server.js';

let server: TestServer;
let admin: ApiCaller;
let conn: TestConnection;
let path: string;

beforeAll(async () => {
  server = await startServer();
  admin = await callerOfType(server, 'ADMIN');
  const consumer = await createClient(server, { client_type: 'MIS' });
  conn = await putConnection(server, admin.client.id, { consumer_id: consumer.id, redirect_uri: 'https://app.example/cb' });
  path = `/api/clients/${admin.client.id}/connections/${conn.id}`;
});
afterAll(() => server?.stop());

/** The state that a rejected request must leave alone: every row an API call could change, and the audit log. */
async function snapshot() {
  const q = (sql: string) => server.gatehouse.db.pool.query(sql).then((r) => r.rows);
  return {
    clients: await q('SELECT * FROM clients ORDER BY id'),
    connections: await q('SELECT * FROM connections ORDER BY id'),
    permissions: await q('SELECT * FROM permissions ORDER BY name'),
    audit: await q('SELECT count(*) FROM audit_events'),
  };
}

function invalidBody(entries: Array<{ entry: string; entry_type: string; rule: string }>) {
  return {
    error: {
      type: 'validation_failed', message: expect.any(String),
      invalid: entries.map(({ entry, entry_type, rule }) => ({
        entry, entry_type, rules: [{ rule, description: expect.any(String), params: expect.anything() }],
      })),
    },
  };
}

describe('redirect_uri rules (CONTRACT §4), through PATCH of a connection', () => {
  test.each([
    ['http on a non-loopback host', 'http://app.example/cb'],
    ['a relative URL', '/cb'],
    ['a fragment', 'https://app.example/cb#frag'],
    ['2,049 characters', `https://app.example/${'a'.repeat(2049 - 'https://app.example/'.length)}`],
    ['another scheme', 'ftp://app.example/cb'],
    ['an empty string', ''],
  ])('%s → 422 $.redirect_uri, nothing changed', async (_name, redirectUri) => {
    const before = await snapshot();
    const res = await api(server, 'PATCH', path, { token: admin.token, body: { redirect_uri: redirectUri } });
    expect(res.status).toBe(422);
    expect(res.body.error.type).toBe('validation_failed');
    expect(res.body.error.invalid).toEqual([
      { entry: '$.redirect_uri', entry_type: 'json_data_property', rules: expect.arrayContaining([expect.objectContaining({ rule: expect.stringMatching(/^(format|maxLength)$/) })]) },
    ]);
    expect(await snapshot()).toEqual(before);
  });

  test.each([
    ['https', 'https://app.example/other'],
    ['http on localhost', 'http://localhost:3000/cb'],
    ['http on 127.0.0.1', 'http://127.0.0.1/cb'],
    ['http on [::1]', 'http://[::1]:8080/cb'],
    ['exactly 2,048 characters', `https://app.example/${'a'.repeat(2048 - 'https://app.example/'.length)}`],
  ])('%s is accepted', async (_name, redirectUri) => {
    const res = await api(server, 'PATCH', path, { token: admin.token, body: { redirect_uri: redirectUri } });
    expect(res.status).toBe(200);
    expect(res.body.data.redirect_uri).toBe(redirectUri);
  });

  test('the internal upsert applies the same rules', async () => {
    const consumer = await createClient(server, { client_type: 'PHARMACY' });
    const res = await fetch(`${server.internalUrl}/internal/clients/${admin.client.id}/connections`, {
      method: 'PUT', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ consumer_id: consumer.id, redirect_uri: 'http://app.example/cb' }),
    });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { error: { invalid: Array<{ entry: string }> } }).error.invalid[0].entry).toBe('$.redirect_uri');
  });
});

describe('bodies', () => {
  test.each([
    ['malformed JSON', '{"redirect_uri": '],
    ['a trailing comma', '{"redirect_uri": "https://x.example/cb",}'],
    ['a bare string', '"https://x.example/cb"'],
  ])('%s → 400 request_malformed, nothing changed', async (_name, raw) => {
    const before = await snapshot();
    const res = await api(server, 'PATCH', path, { token: admin.token, body: raw });
    expect(res.status).toBe(400);
    expect(res.body).toEqual({ error: { type: 'request_malformed', message: expect.any(String) } });
    expect(await snapshot()).toEqual(before);
  });

  test('every route that takes a body answers malformed JSON with 400 and an oversized body with 413', async () => {
    const before = await snapshot();
    for (const [method, p] of [
      ['PATCH', `/api/clients/${admin.client.id}`], ['PATCH', path], ['PATCH', `${path}/actions/refresh_secret`], ['POST', '/api/permissions'],
    ]) {
      const bad = await api(server, method, p, { token: admin.token, body: '{"name":' });
      expect({ p, status: bad.status, body: bad.body }).toEqual({ p, status: 400, body: { error: { type: 'request_malformed', message: expect.any(String) } } });
      const big = await api(server, method, p, { token: admin.token, body: { name: 'x'.repeat(65 * 1024) } });
      expect({ p, status: big.status }).toEqual({ p, status: 413 });
    }
    expect(await snapshot()).toEqual(before);
  });

  test('wrong JSON types → 422 naming each field', async () => {
    const before = await snapshot();
    const res = await api(server, 'PATCH', `/api/clients/${admin.client.id}`, {
      token: admin.token, body: { name: 42, is_blocked: 'true', block_reason: ['x'] },
    });
    expect(res.status).toBe(422);
    expect(res.body).toEqual(invalidBody([
      { entry: '$.name', entry_type: 'json_data_property', rule: 'type' },
      { entry: '$.is_blocked', entry_type: 'json_data_property', rule: 'type' },
      { entry: '$.block_reason', entry_type: 'json_data_property', rule: 'type' },
    ]));
    const notObject = await api(server, 'PATCH', path, { token: admin.token, body: [{ redirect_uri: 'https://x.example/cb' }] });
    expect(notObject.status).toBe(422);
    expect(notObject.body.error.invalid[0]).toMatchObject({ entry: '$', rules: [{ rule: 'type' }] });
    expect(await snapshot()).toEqual(before);
  });

  test('unknown fields → 422 additionalProperties, also on the refresh_secret action', async () => {
    const before = await snapshot();
    const res = await api(server, 'PATCH', `${path}/actions/refresh_secret`, { token: admin.token, body: { secret: 'chosen-by-me' } });
    expect(res.status).toBe(422);
    expect(res.body).toEqual(invalidBody([{ entry: '$.secret', entry_type: 'json_data_property', rule: 'additionalProperties' }]));
    expect(await snapshot()).toEqual(before);
  });

  test('a body over 64 KiB → 413, nothing changed', async () => {
    const before = await snapshot();
    const res = await api(server, 'PATCH', path, { token: admin.token, body: { redirect_uri: 'https://x.example/cb', pad: 'x'.repeat(70 * 1024) } });
    expect(res.status).toBe(413);
    expect(res.body).toEqual({ error: { type: 'request_too_large', message: expect.any(String) } });
    expect(await snapshot()).toEqual(before);
  });

  test('a body that is not JSON → 415', async () => {
    const res = await api(server, 'PATCH', path, {
      token: admin.token, body: 'redirect_uri=https://x.example/cb', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(res.status).toBe(415);
    expect(res.body).toEqual({ error: { type: 'unsupported_media_type', message: expect.any(String) } });
  });
});

describe('paths and queries', () => {
  test('a non-UUID connection id and a malformed client id are both listed', async () => {
    const res = await api(server, 'PATCH', '/api/clients/BAD!/connections/nope', { token: admin.token, body: { redirect_uri: 'https://x.example/cb' } });
    expect(res.status).toBe(422);
    expect(res.body).toEqual(invalidBody([
      { entry: '$.id', entry_type: 'path_parameter', rule: 'pattern' },
      { entry: '$.connection_id', entry_type: 'path_parameter', rule: 'format' },
    ]));
  });

  test.each([
    ['an unknown query parameter', 'foo=bar', '$.foo', 'additionalProperties'],
    ['page_size over 100', 'page_size=101', '$.page_size', 'maximum'],
    ['a negative page', 'page=-3', '$.page', 'minimum'],
    ['a page that is not a number', 'page=two', '$.page', 'type'],
  ])('%s → 422 query_parameter', async (_name, query, entry, rule) => {
    for (const p of ['/api/clients', `/api/clients/${admin.client.id}/connections`, '/api/audit_events', '/api/permissions']) {
      const res = await api(server, 'GET', `${p}?${query}`, { token: admin.token });
      expect(res.status).toBe(422);
      expect(res.body).toEqual(invalidBody([{ entry, entry_type: 'query_parameter', rule }]));
    }
  });

  test('an unknown /api path → 404 not_found', async () => {
    const res = await api(server, 'GET', '/api/nothing_here', { token: admin.token });
    expect(res.status).toBe(404);
    expect(res.body).toEqual({ error: { type: 'not_found' } });
  });
});

describe('POST /api/permissions', () => {
  test('adds to the catalog: 201, then listed by GET; taken → 409', async () => {
    const res = await api(server, 'POST', '/api/permissions', { token: admin.token, body: { name: 'prescription:read', description: 'Read prescriptions' } });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ data: { name: 'prescription:read', description: 'Read prescriptions' } });
    const list = await api(server, 'GET', '/api/permissions?page_size=100', { token: admin.token });
    expect(list.body.data.at(-1)).toEqual({ name: 'prescription:read', description: 'Read prescriptions' });
    // The built-ins were inserted together, so they tie on inserted_at and come by name.
    expect(list.body.data.slice(0, BUILTIN_PERMISSIONS.length).map((p: { name: string }) => p.name)).toEqual([...BUILTIN_PERMISSIONS].sort());
    expect(list.body.paging).toEqual({ page_number: 1, page_size: 100, total_entries: BUILTIN_PERMISSIONS.length + 1, total_pages: 1 });
    const again = await api(server, 'POST', '/api/permissions', { token: admin.token, body: { name: 'prescription:read', description: 'x' } });
    expect(again.status).toBe(409);
    expect(again.body).toEqual({ error: { type: 'conflict', message: expect.any(String) } });
  });

  test('a bad name, a missing description or an unknown field → 422; without permission:write → 403', async () => {
    const before = await snapshot();
    const res = await api(server, 'POST', '/api/permissions', { token: admin.token, body: { name: 'Prescription Read', extra: 1 } });
    expect(res.status).toBe(422);
    expect(res.body.error.invalid.map((e: { entry: string; rules: Array<{ rule: string }> }) => [e.entry, e.rules[0].rule])).toEqual([
      ['$.description', 'required'], ['$.extra', 'additionalProperties'], ['$.name', 'pattern'],
    ]);
    const msp = await callerOfType(server, 'MSP');
    const denied = await api(server, 'POST', '/api/permissions', { token: msp.token, body: { name: 'a:b', description: 'x' } });
    expect(denied.body).toEqual({ error: { type: 'forbidden', message: 'Invalid scopes' } });
    expect((await snapshot()).permissions).toEqual(before.permissions);
  });
});
