// CONTRACT §6: the internal listener's clients, connections and users, with §4's error bodies; and the logs
// of a real process never carry a secret or a token.
import { startServer, freePort, TEST_PEPPER, type TestServer } from './support/server.js';
import { call, createClient, putConnection } from './support/internal.js';
import { clientCredentials } from './support/oauth.js';
import { startProcess, waitReady } from './support/process.js';

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server?.stop());

async function count(table: string): Promise<number> {
  const rows = await server.gatehouse.db.dataSource.query(`SELECT count(*)::int AS n FROM ${table}`);
  return rows[0].n;
}

describe('POST /internal/clients', () => {
  test('creates a client with its type\'s permissions', async () => {
    const res = await call(server, 'POST', '/internal/clients', { name: 'North Clinic', client_type: 'MSP' });
    expect(res.status).toBe(201);
    expect(res.body.data).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/), name: 'North Clinic', client_type: 'MSP',
      permissions: ['client:read', 'connection:read', 'connection:write', 'connection:refresh_secret', 'connection:delete'],
      is_blocked: false, block_reason: null, inserted_at: expect.any(String), updated_at: expect.any(String),
    });
  });

  test('an ADMIN gets every built-in but printer:report; a service keeps its System ID', async () => {
    const admin = await call(server, 'POST', '/internal/clients', { name: 'Admin', client_type: 'ADMIN' });
    expect(admin.body.data.permissions).toHaveLength(15);
    expect(admin.body.data.permissions).not.toContain('printer:report');
    const svc = await call(server, 'POST', '/internal/clients', { id: 'printer_service_001', name: 'Print', client_type: 'PRINT_SERVICE' });
    expect(svc.body.data).toMatchObject({ id: 'printer_service_001', permissions: ['printer:report'] });
  });

  test('a taken id is 409', async () => {
    await createClient(server, { id: 'taken_id', name: 'One', client_type: 'INTEGRATION' });
    const res = await call(server, 'POST', '/internal/clients', { id: 'taken_id', name: 'Two', client_type: 'INTEGRATION' });
    expect(res).toEqual({ status: 409, body: { error: { type: 'conflict', message: 'client taken_id already exists' } } });
  });

  test.each([
    ['an unknown type', { name: 'X', client_type: 'ROBOT' }, '$.client_type', 'enum'],
    ['an unknown field', { name: 'X', client_type: 'MSP', secret: 'x' }, '$.secret', 'additionalProperties'],
    ['a missing name', { client_type: 'MSP' }, '$.name', 'required'],
    ['a name of the wrong type', { name: 7, client_type: 'MSP' }, '$.name', 'type'],
    ['an unknown permission', { name: 'X', client_type: 'INTEGRATION', id: 'svc_x', permissions: ['nope:nope'] }, '$.permissions', 'inclusion'],
    ['a bad System ID', { id: 'Bad ID!', name: 'X', client_type: 'INTEGRATION' }, '$.id', 'format'],
    ['a non-UUID id for an MSP', { id: 'clinic-1', name: 'X', client_type: 'MSP' }, '$.id', 'format'],
  ])('%s is 422 and writes nothing', async (_name, body, entry, rule) => {
    const before = await count('clients');
    const res = await call(server, 'POST', '/internal/clients', body);
    expect(res.status).toBe(422);
    expect(res.body.error.type).toBe('validation_failed');
    expect(res.body.error.invalid).toEqual(expect.arrayContaining([
      expect.objectContaining({ entry, entry_type: 'json_data_property', rules: expect.arrayContaining([expect.objectContaining({ rule })]) }),
    ]));
    expect(await count('clients')).toBe(before);
  });

  test('malformed JSON is 400, another media type 415, an oversized body 413', async () => {
    const raw = (body: string, type: string) => fetch(`${server.internalUrl}/internal/clients`, { method: 'POST', headers: { 'content-type': type }, body });
    const malformed = await raw('{"name":', 'application/json');
    expect(malformed.status).toBe(400);
    expect((await malformed.json()).error.type).toBe('request_malformed');
    expect((await raw('name=x', 'application/x-www-form-urlencoded')).status).toBe(415);
    expect((await raw(JSON.stringify({ name: 'x'.repeat(70_000), client_type: 'MSP' }), 'application/json')).status).toBe(413);
  });
});

describe('PUT /internal/clients/{id}/connections', () => {
  test('201 with a secret, then 200 with a new one that replaces it', async () => {
    const svc = await createClient(server, { id: 'rotating_svc', name: 'Rot', client_type: 'INTEGRATION', permissions: ['client:read'] });
    const first = await call(server, 'PUT', `/internal/clients/${svc.id}/connections`, { consumer_id: svc.id });
    expect(first.status).toBe(201);
    expect(first.body.data).toEqual({
      id: expect.any(String), client_id: svc.id, consumer_id: svc.id, redirect_uri: null,
      secret: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/), inserted_at: expect.any(String), updated_at: expect.any(String),
    });
    const second = await call(server, 'PUT', `/internal/clients/${svc.id}/connections`, { consumer_id: svc.id });
    expect(second.status).toBe(200);
    expect(second.body.data.id).toBe(first.body.data.id);
    expect((await clientCredentials(server.url, svc.id, first.body.data.secret)).status).toBe(401);
    expect((await clientCredentials(server.url, svc.id, second.body.data.secret)).status).toBe(200);
  });

  test('the secret is stored only as an HMAC', async () => {
    const svc = await createClient(server, { id: 'hmac_svc', name: 'H', client_type: 'INTEGRATION' });
    const { secret } = await putConnection(server, svc.id, { consumer_id: svc.id });
    const rows = await server.gatehouse.db.dataSource.query('SELECT secret_hash FROM connections WHERE client_id = $1', [svc.id]);
    expect(rows[0].secret_hash).not.toContain(secret);
    expect(rows[0].secret_hash).toBe(server.gatehouse.secrets.hash(secret));
  });

  test('an unknown consumer is 422 $.consumer_id, an unknown client 404', async () => {
    const c = await createClient(server, { name: 'C', client_type: 'MSP' });
    const res = await call(server, 'PUT', `/internal/clients/${c.id}/connections`, { consumer_id: 'nobody_here', redirect_uri: 'https://x.example/cb' });
    expect(res.status).toBe(422);
    expect(res.body.error.invalid[0]).toMatchObject({ entry: '$.consumer_id', entry_type: 'json_data_property' });
    const missing = await call(server, 'PUT', '/internal/clients/00000000-0000-4000-8000-000000000000/connections', { consumer_id: c.id, redirect_uri: 'https://x.example/cb' });
    expect(missing).toEqual({ status: 404, body: { error: { type: 'not_found' } } });
  });

  test.each([
    ['http on a non-loopback host', 'http://clinic.example/cb'],
    ['a relative URI', '/callback'],
    ['a fragment', 'https://clinic.example/cb#x'],
    ['2,049 characters', `https://clinic.example/${'a'.repeat(2049 - 'https://clinic.example/'.length)}`],
    ['a custom scheme', 'javascript:alert(1)'],
  ])('a redirect_uri with %s is 422 $.redirect_uri and writes nothing', async (_name, redirectUri) => {
    const c = await createClient(server, { name: 'C', client_type: 'MSP' });
    const consumer = await createClient(server, { name: 'M', client_type: 'MIS' });
    const before = await count('connections');
    const res = await call(server, 'PUT', `/internal/clients/${c.id}/connections`, { consumer_id: consumer.id, redirect_uri: redirectUri });
    expect(res.status).toBe(422);
    expect(res.body.error.invalid.map((e: { entry: string }) => e.entry)).toEqual(['$.redirect_uri']);
    expect(await count('connections')).toBe(before);
  });

  test('http on loopback is allowed; 2,048 characters is allowed', async () => {
    const c = await createClient(server, { name: 'C', client_type: 'MSP' });
    const m1 = await createClient(server, { name: 'M1', client_type: 'MIS' });
    const m2 = await createClient(server, { name: 'M2', client_type: 'MIS' });
    expect((await call(server, 'PUT', `/internal/clients/${c.id}/connections`, { consumer_id: m1.id, redirect_uri: 'http://127.0.0.1:8080/cb' })).status).toBe(201);
    const long = `https://clinic.example/${'a'.repeat(2048 - 'https://clinic.example/'.length)}`;
    expect((await call(server, 'PUT', `/internal/clients/${c.id}/connections`, { consumer_id: m2.id, redirect_uri: long })).status).toBe(201);
  });

  test('only a self-connection may go without a redirect_uri', async () => {
    const c = await createClient(server, { name: 'C', client_type: 'MSP' });
    const m = await createClient(server, { name: 'M', client_type: 'MIS' });
    const res = await call(server, 'PUT', `/internal/clients/${c.id}/connections`, { consumer_id: m.id });
    expect(res.status).toBe(422);
    expect(res.body.error.invalid[0].entry).toBe('$.redirect_uri');
  });

  test("a redirect_uri already registered by another of the client's connections is 409", async () => {
    const c = await createClient(server, { name: 'C', client_type: 'MSP' });
    const m1 = await createClient(server, { name: 'M1', client_type: 'MIS' });
    const m2 = await createClient(server, { name: 'M2', client_type: 'MIS' });
    await putConnection(server, c.id, { consumer_id: m1.id, redirect_uri: 'https://shared.example/cb' });
    const res = await call(server, 'PUT', `/internal/clients/${c.id}/connections`, { consumer_id: m2.id, redirect_uri: 'https://shared.example/cb' });
    expect(res.status).toBe(409);
    expect(res.body.error.type).toBe('conflict');
  });
});

describe('POST /internal/users', () => {
  test('creates a user with memberships and never returns the password or its hash', async () => {
    const c = await createClient(server, { name: 'C', client_type: 'PHARMACY' });
    const res = await call(server, 'POST', '/internal/users', {
      email: 'Pharmacist@Example.org', password: 'a long password', name: 'Ann', memberships: [{ client_id: c.id, scopes: ['client:read'] }],
    });
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({ email: 'Pharmacist@Example.org', name: 'Ann', memberships: [{ client_id: c.id, scopes: ['client:read'] }] });
    expect(JSON.stringify(res.body)).not.toMatch(/"password"|\$2b\$/);
    const dup = await call(server, 'POST', '/internal/users', { email: 'pharmacist@example.ORG', password: 'another password', memberships: [] });
    expect(dup.status).toBe(409);
  });

  test('an unknown client in a membership is 422 and creates no user', async () => {
    const before = await count('users');
    const res = await call(server, 'POST', '/internal/users', { email: 'x@example.org', password: 'a long password', memberships: [{ client_id: 'nope_nope', scopes: [] }] });
    expect(res.status).toBe(422);
    expect(res.body.error.invalid[0].entry).toBe('$.memberships');
    expect(await count('users')).toBe(before);
  });

  test('a bad email or a short password is 422', async () => {
    const res = await call(server, 'POST', '/internal/users', { email: 'not-an-email', password: 'short', memberships: [] });
    expect(res.status).toBe(422);
    expect(res.body.error.invalid.map((e: { entry: string }) => e.entry).sort()).toEqual(['$.email', '$.password']);
  });
});

test('the logs of a real process carry no secret and no token', async () => {
  const port = await freePort();
  const internalPort = await freePort();
  const proc = startProcess('src/main.ts', {
    DATABASE_URL: server.databaseUrl, PORT: String(port), INTERNAL_PORT: String(internalPort), ISSUER: `http://127.0.0.1:${port}`,
    SECRET_PEPPER: TEST_PEPPER, LOG_LEVEL: 'debug',
  });
  try {
    const node = { url: `http://127.0.0.1:${port}`, internalUrl: `http://127.0.0.1:${internalPort}`, gatehouse: undefined as never, databaseUrl: '', env: {}, stop: async () => {} };
    await waitReady(`${node.url}/health/ready`, proc);
    const svc = await createClient(node, { id: 'logged_svc', name: 'Logged', client_type: 'INTEGRATION', permissions: ['client:read'] });
    const { secret } = await putConnection(node, svc.id, { consumer_id: svc.id });
    const token = (await clientCredentials(node.url, svc.id, secret, 'client:read')).body.access_token as string;
    await fetch(`${node.url}/token?client_secret=${secret}`, { method: 'POST' });
    await new Promise((r) => setTimeout(r, 300));
    const out = proc.output();
    expect(out).toMatch(/"route":"\/token"/); // the route template (CONTRACT §10), never the path or its query
    expect(out).not.toContain(secret);
    expect(out).not.toContain(token);
  } finally {
    await proc.stop();
  }
}, 120_000);
