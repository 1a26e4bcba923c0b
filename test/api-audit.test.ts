// The audit log (CONTRACT §4): every change through every door writes who, what, on what, when and the
// request id, never a secret; GET /api/audit_events reads it with filters.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { api, callerOfType, type ApiCaller } from './support/api.js';
import { createClient, createUser, putConnection } from './support/internal.js';
import { relyingParty, signIn } from './support/oauth.js';
import { startServer, type TestServer } from './support/server.js';

const TIMESTAMP = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
const UUID = expect.stringMatching(/^[0-9a-f-]{36}$/);

let server: TestServer;
let admin: ApiCaller;
const secrets: string[] = [];

beforeAll(async () => {
  server = await startServer();
  admin = await callerOfType(server, 'ADMIN');
  secrets.push(admin.self.secret);
});
afterAll(() => server?.stop());

async function events(query: string, token = admin.token) {
  const res = await api(server, 'GET', `/api/audit_events?${query}`, { token });
  expect(res.status).toBe(200);
  return res.body;
}

describe('every change through the API is recorded with who, what, on what, when and the request id', () => {
  test('connection changes', async () => {
    const me = await callerOfType(server, 'MSP');
    const consumer = await createClient(server, { client_type: 'MIS' });
    const conn = await putConnection(server, me.client.id, { consumer_id: consumer.id, redirect_uri: 'https://a.example/cb' });
    secrets.push(me.self.secret, conn.secret);
    const base = `/api/clients/${me.client.id}/connections/${conn.id}`;
    const patched = await api(server, 'PATCH', base, { token: me.token, body: { redirect_uri: 'https://b.example/cb' }, headers: { 'x-request-id': 'req-patch-1' } });
    expect(patched.status).toBe(200);
    const refreshed = await api(server, 'PATCH', `${base}/actions/refresh_secret`, { token: me.token, headers: { 'x-request-id': 'req-refresh-1' } });
    secrets.push(refreshed.body.data.secret);
    expect((await api(server, 'DELETE', base, { token: me.token, headers: { 'x-request-id': 'req-delete-1' } })).status).toBe(204);

    const body = await events(`target_id=${conn.id}`);
    expect(body).toEqual({
      data: [
        { id: UUID, actor_type: 'client', actor_id: 'gatehouse:internal', action: 'connection.create', target_type: 'connection', target_id: conn.id,
          request_id: expect.any(String), details: { client_id: me.client.id, consumer_id: consumer.id, redirect_uri: 'https://a.example/cb' }, inserted_at: TIMESTAMP },
        { id: UUID, actor_type: 'client', actor_id: me.client.id, action: 'connection.update', target_type: 'connection', target_id: conn.id,
          request_id: 'req-patch-1', details: { client_id: me.client.id, redirect_uri: 'https://b.example/cb' }, inserted_at: TIMESTAMP },
        { id: UUID, actor_type: 'client', actor_id: me.client.id, action: 'connection.refresh_secret', target_type: 'connection', target_id: conn.id,
          request_id: 'req-refresh-1', details: { client_id: me.client.id }, inserted_at: TIMESTAMP },
        { id: UUID, actor_type: 'client', actor_id: me.client.id, action: 'connection.delete', target_type: 'connection', target_id: conn.id,
          request_id: 'req-delete-1', details: { client_id: me.client.id }, inserted_at: TIMESTAMP },
      ],
      paging: { page_number: 1, page_size: 50, total_entries: 4, total_pages: 1 },
    });
  });

  test('client changes and permissions', async () => {
    const c = await createClient(server, { client_type: 'PHARMACY', name: 'Audited' });
    await api(server, 'PATCH', `/api/clients/${c.id}`, { token: admin.token, body: { name: 'Renamed' }, headers: { 'x-request-id': 'req-c1' } });
    await api(server, 'PATCH', `/api/clients/${c.id}`, { token: admin.token, body: { is_blocked: true, block_reason: 'audit' }, headers: { 'x-request-id': 'req-c2' } });
    await api(server, 'PATCH', `/api/clients/${c.id}`, { token: admin.token, body: { is_blocked: false }, headers: { 'x-request-id': 'req-c3' } });
    const body = await events(`target_id=${c.id}`);
    expect(body.data.map((e: { action: string; request_id: string; actor_id: string }) => [e.action, e.actor_id, e.request_id])).toEqual([
      ['client.create', 'gatehouse:internal', expect.any(String)],
      ['client.update', admin.client.id, 'req-c1'],
      ['client.block', admin.client.id, 'req-c2'],
      ['client.unblock', admin.client.id, 'req-c3'],
    ]);
    expect(body.data[2].details).toEqual({ is_blocked: true, block_reason: 'audit' });

    await api(server, 'POST', '/api/permissions', { token: admin.token, body: { name: 'report:read', description: 'Reports' } });
    const perm = await events('action=permission.create');
    expect(perm.data).toEqual([expect.objectContaining({ actor_type: 'client', actor_id: admin.client.id, target_type: 'permission', target_id: 'report:read' })]);
  });

  test('a rejected request writes nothing', async () => {
    const before = (await events('page_size=1')).paging.total_entries;
    await api(server, 'PATCH', `/api/clients/${admin.client.id}`, { token: admin.token, body: { name: '' } });
    await api(server, 'PATCH', `/api/clients/${admin.client.id}/connections/${admin.self.id}`, { token: admin.token, body: { redirect_uri: 'http://evil.example' } });
    await api(server, 'POST', '/api/permissions', { token: admin.token, body: { name: 'report:read', description: 'again' } });
    expect((await events('page_size=1')).paging.total_entries).toBe(before);
  });
});

describe('a user acting through a client', () => {
  test('a token from the code flow is recorded as the user, and carries only the scopes the membership allows', async () => {
    const redirectUri = 'http://127.0.0.1:9/admin-cb';
    const console = await createClient(server, { client_type: 'ADMIN', name: 'Console' });
    const conn = await putConnection(server, console.id, { consumer_id: console.id, redirect_uri: redirectUri });
    const user = await createUser(server, { email: 'ops@example.com', memberships: [{ client_id: console.id, scopes: ['client:read', 'client:write'] }] });
    const rp = await relyingParty(server.url, console.id, conn.secret);
    const { tokens } = await signIn(rp, server.url, { redirectUri, scope: 'openid client:read client:write connection:read', email: 'ops@example.com' });
    const target = await createClient(server, { client_type: 'MSP', name: 'By a user' });
    const res = await api(server, 'PATCH', `/api/clients/${target.id}`, { token: tokens.access_token, body: { name: 'Renamed by a user' }, headers: { 'x-request-id': 'user-req-1' } });
    expect(res.status).toBe(200);
    expect((await events(`target_id=${target.id}&action=client.update`)).data).toEqual([
      expect.objectContaining({ actor_type: 'user', actor_id: user.id, request_id: 'user-req-1' }),
    ]);
    const denied = await api(server, 'GET', `/api/clients/${target.id}/connections`, { token: tokens.access_token });
    expect(denied.body).toEqual({ error: { type: 'forbidden', message: 'Invalid scopes' } });
  });
});

describe('other doors', () => {
  test('the internal API records its request id', async () => {
    const res = await fetch(`${server.internalUrl}/internal/clients`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'x-request-id': 'internal-req-7' },
      body: JSON.stringify({ name: 'Via internal', client_type: 'MIS' }),
    });
    const { data } = (await res.json()) as { data: { id: string } };
    expect((await events(`target_id=${data.id}`)).data).toEqual([
      expect.objectContaining({ actor_type: 'client', actor_id: 'gatehouse:internal', action: 'client.create', request_id: 'internal-req-7' }),
    ]);
  });

  test('the CLI', async () => {
    const { stdout } = await promisify(execFile)('npx', ['tsx', 'src/cli.ts', 'clients:create', '--name', 'Via CLI', '--type', 'MSP'], {
      env: { ...process.env, ...server.env, LOG_LEVEL: 'silent' },
    });
    const { data } = JSON.parse(stdout.slice(stdout.indexOf('{')));
    expect((await events(`target_id=${data.id}`)).data).toEqual([
      expect.objectContaining({ actor_type: 'client', actor_id: 'gatehouse:cli', action: 'client.create', target_type: 'client', target_id: data.id }),
    ]);
  }, 60_000);
});

describe('GET /api/audit_events', () => {
  test('filters by actor_id and action, and pages in a stable order', async () => {
    const byActor = await events(`actor_id=${admin.client.id}&page_size=100`);
    expect(byActor.data.length).toBeGreaterThan(3);
    expect(byActor.data.every((e: { actor_id: string }) => e.actor_id === admin.client.id)).toBe(true);
    const all = await events('page_size=100');
    const paged = [...(await events('page=1&page_size=4')).data, ...(await events('page=2&page_size=4')).data];
    expect(paged).toEqual(all.data.slice(0, 8));
    const none = await events('action=nothing.ever');
    expect(none).toEqual({ data: [], paging: { page_number: 1, page_size: 50, total_entries: 0, total_pages: 0 } });
  });

  test('from and to bound inserted_at inclusively; order=desc gives the newest first (CONTRACT §4)', async () => {
    const all = (await events('page_size=100')).data as Array<{ id: string; inserted_at: string }>;
    expect(all.length).toBeGreaterThan(3);
    const [first, second] = [all[1].inserted_at, all[all.length - 2].inserted_at];
    const bounded = (await events(`from=${encodeURIComponent(first)}&to=${encodeURIComponent(second)}&page_size=100`)).data as typeof all;
    expect(bounded.map((e) => e.id)).toEqual(all.filter((e) => e.inserted_at >= first && e.inserted_at <= second).map((e) => e.id));
    const newest = (await events('order=desc&page_size=100')).data as typeof all;
    expect(newest.map((e) => e.id)).toEqual([...all].reverse().map((e) => e.id));
    for (const [query, entry] of [['from=yesterday', '$.from'], ['order=newest', '$.order'], [`from=${encodeURIComponent(second)}&to=${encodeURIComponent(first)}`, '$.to'], ['to=2016-12-31T23:59:60Z', '$.to']]) {
      const res = await api(server, 'GET', `/api/audit_events?${query}`, { token: admin.token });
      expect(res.status).toBe(422);
      expect(res.body.error.invalid[0]).toMatchObject({ entry, entry_type: 'query_parameter' });
    }
  });

  test('needs audit:read; a non-ADMIN holder sees only its own doing', async () => {
    const msp = await callerOfType(server, 'MSP');
    expect((await api(server, 'GET', '/api/audit_events', { token: msp.token })).body).toEqual({ error: { type: 'forbidden', message: 'Invalid scopes' } });
    const auditor = await callerOfType(server, 'INTEGRATION', { permissions: ['audit:read', 'connection:write'] });
    const self = `/api/clients/${auditor.client.id}/connections/${auditor.self.id}`;
    expect((await api(server, 'PATCH', self, { token: auditor.token, body: { redirect_uri: 'https://auditor.example/cb' } })).status).toBe(200);
    const mine = await events('', auditor.token);
    expect(mine.data).toEqual([expect.objectContaining({ actor_id: auditor.client.id, action: 'connection.update', target_id: auditor.self.id })]);
    expect(mine.paging.total_entries).toBe(1);
    expect((await events(`actor_id=${admin.client.id}`, auditor.token)).data).toEqual([]);
  });

  test('no event carries a secret or a hash', async () => {
    const { rows } = await server.gatehouse.db.pool.query<{ secret_hash: string }>('SELECT secret_hash FROM connections');
    const text = JSON.stringify((await events('page_size=100')).data);
    expect(text.length).toBeGreaterThan(1000);
    for (const s of secrets) expect(text).not.toContain(s);
    for (const { secret_hash } of rows) expect(text).not.toContain(secret_hash);
    const keys = (await events('page_size=100')).data.flatMap((e: { details: object }) => Object.keys(e.details));
    expect(keys.filter((k: string) => /secret|hash|password|token/i.test(k))).toEqual([]);
  });
});
