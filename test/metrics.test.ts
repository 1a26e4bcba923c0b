// CONTRACT §10: GET /metrics on the internal listener (never on PORT) in Prometheus text format with the named
// families and the process metrics; `route` is the template however many ids are hit; the token, sign-in and print
// job figures move with the events they count; the pool gauge comes from the pool.
import crypto from 'node:crypto';
import { api, callerOfType } from './support/api.js';
import { createClient, createUser, putConnection } from './support/internal.js';
import { Browser, authorize, clientCredentials, relyingParty, signIn } from './support/oauth.js';
import { printService, submit } from './support/printing.js';
import { startServer, type TestServer } from './support/server.js';

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server?.stop());

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

async function scrape(): Promise<{ text: string; samples: Sample[] }> {
  const res = await fetch(`${server.internalUrl}/metrics`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  const text = await res.text();
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/([a-zA-Z_]+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]] = l[2];
    samples.push({ name: m[1], labels, value: Number(m[3]) });
  }
  return { text, samples };
}

function value(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

test('the named families and the process metrics, on the internal listener only', async () => {
  await fetch(`${server.url}/health/live`);
  const { text } = await scrape();
  for (const family of [
    'gatehouse_http_requests_total', 'gatehouse_http_request_duration_seconds', 'gatehouse_tokens_issued_total',
    'gatehouse_token_errors_total', 'gatehouse_sign_ins_total', 'gatehouse_db_pool_connections', 'gatehouse_print_jobs',
    'process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds',
  ]) {
    expect(text).toMatch(new RegExp(`^# TYPE ${family} `, 'm'));
  }
  expect(text).toMatch(/^gatehouse_http_requests_total\{listener="public",route="\/health\/live",method="GET",status="200"\} \d+/m);
  expect(text).toMatch(/^gatehouse_http_request_duration_seconds_bucket\{le="[^"]+",listener="public",route="\/health\/live"\} \d+/m);
  expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
});

test('route labels are templates: hitting many ids adds no label values', async () => {
  const admin = await callerOfType(server, 'ADMIN');
  const before = new Set((await scrape()).samples.filter((s) => s.name === 'gatehouse_http_requests_total').map((s) => s.labels.route));
  const ids: string[] = [];
  for (let i = 0; i < 40; i++) {
    const id = crypto.randomUUID();
    ids.push(id);
    await api(server, 'GET', `/api/clients/${id}`, { token: admin.token });
    await api(server, 'GET', `/api/clients/${admin.client.id}/connections/${id}`, { token: admin.token });
    await fetch(`${server.url}/interaction/${id}`);
    await fetch(`${server.url}/no/such/${id}`);
    await fetch(`${server.internalUrl}/internal/nothing/${id}`);
  }
  const { text, samples } = await scrape();
  const routes = new Set(samples.filter((s) => s.name === 'gatehouse_http_requests_total').map((s) => s.labels.route));
  for (const id of ids) expect(text).not.toContain(id);
  expect([...routes]).toEqual(expect.arrayContaining(['/api/clients/:id', '/api/clients/:id/connections/:connection_id', '/interaction/:uid', 'unmatched']));
  // 200 different paths became at most a handful of new label values.
  expect(routes.size - before.size).toBeLessThanOrEqual(5);
  expect(value(samples, 'gatehouse_http_requests_total', { route: '/api/clients/:id', status: '404' })).toBe(40);
});

test('token counters move with tokens issued and refused', async () => {
  const service = await callerOfType(server, 'INTEGRATION', { permissions: ['client:read'] });
  const before = (await scrape()).samples;
  for (let i = 0; i < 3; i++) expect((await clientCredentials(server.url, service.client.id, service.self.secret)).status).toBe(200);
  expect((await clientCredentials(server.url, service.client.id, 'wrong-secret')).status).toBe(401);
  expect((await clientCredentials(server.url, service.client.id, service.self.secret, 'client:write')).body.error).toBe('invalid_scope');
  const after = (await scrape()).samples;
  const diff = (name: string, labels: Record<string, string>) => value(after, name, labels) - value(before, name, labels);
  expect(diff('gatehouse_tokens_issued_total', { grant_type: 'client_credentials' })).toBe(3);
  expect(diff('gatehouse_token_errors_total', { error: 'invalid_client' })).toBe(1);
  expect(diff('gatehouse_token_errors_total', { error: 'invalid_scope' })).toBe(1);
});

test('sign-ins by result and the code grant', async () => {
  const clinic = await createClient(server, { name: 'Clinic', client_type: 'MSP' });
  const mis = await createClient(server, { name: 'MIS', client_type: 'MIS' });
  const redirectUri = 'https://mis.example/cb';
  const { secret } = await putConnection(server, clinic.id, { consumer_id: mis.id, redirect_uri: redirectUri });
  await createUser(server, { email: 'metrics@clinic.example', memberships: [{ client_id: clinic.id, scopes: [] }] });
  const rp = await relyingParty(server.url, clinic.id, secret);
  const before = (await scrape()).samples;
  await expect(authorize(rp, server.url, { redirectUri, scope: 'openid', email: 'metrics@clinic.example', password: 'not the password', browser: new Browser() }))
    .rejects.toThrow(/401/);
  await signIn(rp, server.url, { redirectUri, scope: 'openid', email: 'metrics@clinic.example' });
  const after = (await scrape()).samples;
  const diff = (name: string, labels: Record<string, string>) => value(after, name, labels) - value(before, name, labels);
  expect(diff('gatehouse_sign_ins_total', { result: 'failure' })).toBe(1);
  expect(diff('gatehouse_sign_ins_total', { result: 'success' })).toBe(1);
  expect(diff('gatehouse_tokens_issued_total', { grant_type: 'authorization_code' })).toBe(1);
});

test('print jobs by status, and the pool gauge from the pool', async () => {
  const admin = await callerOfType(server, 'ADMIN', { scopes: ['service:write', 'printer:write', 'printer:read'] });
  const printers = await printService(server, admin, { 'HP-1': 'online' });
  const portal = await callerOfType(server, 'INTEGRATION', { permissions: ['print:submit'] });
  const before = (await scrape()).samples;
  expect((await submit(server, portal.token, printers.printers['HP-1'].id)).status).toBe(201);
  expect((await submit(server, portal.token, printers.printers['HP-1'].id)).status).toBe(201);
  const after = (await scrape()).samples;
  expect(value(after, 'gatehouse_print_jobs', { status: 'queued' }) - value(before, 'gatehouse_print_jobs', { status: 'queued' })).toBe(2);
  expect(value(after, 'gatehouse_print_jobs', { status: 'printed' })).toBe(0);
  const pool = server.gatehouse.db.pool;
  expect(value(after, 'gatehouse_db_pool_connections', { state: 'total' })).toBeGreaterThan(0);
  expect(value(after, 'gatehouse_db_pool_connections', { state: 'total' })).toBeLessThanOrEqual(4); // DB_POOL_SIZE of test servers
  expect(pool.totalCount).toBeGreaterThan(0);
  for (const state of ['idle', 'active', 'waiting']) expect(after.some((s) => s.name === 'gatehouse_db_pool_connections' && s.labels.state === state)).toBe(true);
});
