// CONTRACT §8 over HTTP: /api/users, memberships, grants, reset and unlock; the context rules of §4 for a
// non-ADMIN caller; the contract's errors; bad input changes nothing; concurrent creates of one email.
import { api, callerOfType, type ApiCaller } from './support/api.js';
import { createClient } from './support/internal.js';
import { startServer, type TestServer } from './support/server.js';

let server: TestServer;
let admin: ApiCaller;
let mis: ApiCaller;
let otherMis: ApiCaller;

beforeAll(async () => {
  server = await startServer();
  admin = await callerOfType(server, 'ADMIN');
  mis = await callerOfType(server, 'MIS', { permissions: ['user:read', 'user:write'] });
  otherMis = await callerOfType(server, 'MIS', { permissions: ['user:read', 'user:write'] });
});

afterAll(() => server?.stop());

const as = (caller: ApiCaller) => ({
  get: (path: string) => api(server, 'GET', path, { token: caller.token }),
  post: (path: string, body?: unknown) => api(server, 'POST', path, { token: caller.token, body }),
  patch: (path: string, body: unknown) => api(server, 'PATCH', path, { token: caller.token, body }),
  put: (path: string, body: unknown) => api(server, 'PUT', path, { token: caller.token, body }),
  del: (path: string) => api(server, 'DELETE', path, { token: caller.token }),
});

let n = 0;
const email = (prefix = 'user') => `${prefix}${++n}.${Date.now()}@hospital.example`;

async function newUser(memberships: Array<{ client_id: string; scopes: string[] }> = [], name?: string) {
  const res = await as(admin).post('/api/users', { email: email(), ...(name ? { name } : {}), memberships });
  expect(res.status).toBe(201);
  return res.body.data;
}

describe('creating and reading users', () => {
  test('POST answers 201 with the user and a setup link shown this once; GET never shows it', async () => {
    const address = email('Create');
    const res = await as(admin).post('/api/users', { email: address, name: 'Olena', memberships: [{ client_id: mis.client.id, scopes: ['client:read'] }] });
    expect(res.status).toBe(201);
    expect(res.body.data).toMatchObject({
      email: address, name: 'Olena', is_blocked: false, block_reason: null, has_password: false, mfa_enabled: false,
      last_sign_in_at: null, memberships: [{ client_id: mis.client.id, scopes: ['client:read'] }],
    });
    expect(res.body.data.password_setup_url).toMatch(new RegExp(`^${server.url}/password/setup/[A-Za-z0-9_-]{43}$`));
    expect(res.text).not.toMatch(/hash/);
    const one = await as(admin).get(`/api/users/${res.body.data.id}`);
    expect(one.status).toBe(200);
    expect(one.body.data.password_setup_url).toBeUndefined();
    expect(Object.keys(one.body.data).sort()).toEqual([
      'block_reason', 'email', 'has_password', 'id', 'inserted_at', 'is_blocked', 'last_sign_in_at', 'memberships', 'mfa_enabled', 'name', 'updated_at',
    ]);
    const audit = await as(admin).get(`/api/audit_events?target_id=${res.body.data.id}&action=user.create`);
    expect(audit.body.data).toHaveLength(1);
  });

  test('an email taken in any case is 409', async () => {
    const address = email('Taken');
    await as(admin).post('/api/users', { email: address });
    const again = await as(admin).post('/api/users', { email: address.toUpperCase() });
    expect(again.status).toBe(409);
    expect(again.body.error.type).toBe('conflict');
  });

  test('200 concurrent creates of one email give one 201 and 409 for the rest', async () => {
    const address = email('race');
    const results = await Promise.all(Array.from({ length: 200 }, () => as(admin).post('/api/users', { email: address })));
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(1);
    expect(statuses.filter((s) => s === 409)).toHaveLength(199);
    const listed = await as(admin).get(`/api/users?email=${encodeURIComponent(address)}`);
    expect(listed.body.paging.total_entries).toBe(1);
  });

  test('bad input is 422 listing every problem and changes nothing', async () => {
    const address = email('bad');
    const res = await as(admin).post('/api/users', {
      email: address, password: 'chosen-by-admin', memberships: [{ client_id: mis.client.id, scopes: ['no_such:scope'] }],
    });
    expect(res.status).toBe(422);
    expect(res.body.error.invalid.map((e: { entry: string }) => e.entry)).toContain('$.password');
    const scope = await as(admin).post('/api/users', { email: address, memberships: [{ client_id: mis.client.id, scopes: ['no_such:scope'] }] });
    expect(scope.status).toBe(422);
    const unknownClient = await as(admin).post('/api/users', { email: address, memberships: [{ client_id: '00000000-0000-4000-8000-000000000000', scopes: [] }] });
    expect(unknownClient.status).toBe(422);
    const notEmail = await as(admin).post('/api/users', { email: 'not an email' });
    expect(notEmail.status).toBe(422);
    const malformed = await api(server, 'POST', '/api/users', { token: admin.token, body: '{"email":' });
    expect(malformed.status).toBe(400);
    const listed = await as(admin).get(`/api/users?email=${encodeURIComponent(address)}`);
    expect(listed.body.paging.total_entries).toBe(0);
    expect((await as(admin).get('/api/users?colour=blue')).body.error.invalid[0]).toMatchObject({ entry: '$.colour', entry_type: 'query_parameter' });
    expect((await as(admin).get('/api/users/not-a-uuid')).body.error.invalid[0].entry_type).toBe('path_parameter');
    expect((await as(admin).get('/api/users/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });

  test('the list filters by email (substring, any case), client and blocked, in a stable order', async () => {
    const client = await createClient(server, { name: 'Filter clinic', client_type: 'MSP' });
    const a = await newUser([{ client_id: client.id, scopes: [] }]);
    const b = await newUser([{ client_id: client.id, scopes: ['client:read'] }]);
    await newUser();
    await as(admin).patch(`/api/users/${b.id}`, { is_blocked: true });
    const members = await as(admin).get(`/api/users?client_id=${client.id}`);
    expect(members.body.data.map((u: { id: string }) => u.id)).toEqual([a.id, b.id]);
    expect(members.body.paging).toEqual({ page_number: 1, page_size: 50, total_entries: 2, total_pages: 1 });
    const blocked = await as(admin).get(`/api/users?client_id=${client.id}&is_blocked=true`);
    expect(blocked.body.data.map((u: { id: string }) => u.id)).toEqual([b.id]);
    const byEmail = await as(admin).get(`/api/users?email=${encodeURIComponent(a.email.slice(0, 9).toUpperCase())}`);
    expect(byEmail.body.data.map((u: { id: string }) => u.id)).toEqual([a.id]);
    const paged = await as(admin).get(`/api/users?client_id=${client.id}&page=2&page_size=1`);
    expect(paged.body.data.map((u: { id: string }) => u.id)).toEqual([b.id]);
  });
});

describe('changing users', () => {
  test('PATCH renames, blocks with a reason and unblocks, each audited', async () => {
    const user = await newUser();
    const renamed = await as(admin).patch(`/api/users/${user.id}`, { name: 'Mykola' });
    expect(renamed.body.data.name).toBe('Mykola');
    const blocked = await as(admin).patch(`/api/users/${user.id}`, { is_blocked: true, block_reason: 'left' });
    expect(blocked.body.data).toMatchObject({ is_blocked: true, block_reason: 'left' });
    const unblocked = await as(admin).patch(`/api/users/${user.id}`, { is_blocked: false });
    expect(unblocked.body.data).toMatchObject({ is_blocked: false, block_reason: null });
    const audit = await as(admin).get(`/api/audit_events?target_id=${user.id}`);
    expect(audit.body.data.map((e: { action: string }) => e.action)).toEqual(['user.create', 'user.update', 'user.block', 'user.unblock']);
    const bad = await as(admin).patch(`/api/users/${user.id}`, { name: 'X', email: 'x@y.example' });
    expect(bad.status).toBe(422);
    expect((await as(admin).get(`/api/users/${user.id}`)).body.data.name).toBe('Mykola');
  });

  test('DELETE answers 204, then 404', async () => {
    const user = await newUser();
    expect((await as(admin).del(`/api/users/${user.id}`)).status).toBe(204);
    expect((await as(admin).get(`/api/users/${user.id}`)).status).toBe(404);
    expect((await as(admin).del(`/api/users/${user.id}`)).status).toBe(404);
  });

  test('PUT membership: 201 created, 200 replaced, catalog scopes only; DELETE 204 then 404', async () => {
    const user = await newUser();
    const path = `/api/users/${user.id}/memberships/${mis.client.id}`;
    const created = await as(admin).put(path, { scopes: ['client:read'] });
    expect(created.status).toBe(201);
    expect(created.body.data).toEqual({ client_id: mis.client.id, scopes: ['client:read'] });
    const replaced = await as(admin).put(path, { scopes: ['client:read', 'connection:read'] });
    expect(replaced.status).toBe(200);
    const unknown = await as(admin).put(path, { scopes: ['client:read', 'nope:nope'] });
    expect(unknown.status).toBe(422);
    expect(unknown.body.error.invalid[0].entry).toBe('$.scopes');
    expect((await as(admin).get(`/api/users/${user.id}`)).body.data.memberships).toEqual([{ client_id: mis.client.id, scopes: ['client:read', 'connection:read'] }]);
    expect((await as(admin).put(`/api/users/${user.id}/memberships/00000000-0000-4000-8000-000000000000`, { scopes: [] })).status).toBe(404);
    expect((await as(admin).del(path)).status).toBe(204);
    expect((await as(admin).del(path)).status).toBe(404);
  });

  test('reset_password answers a new link and kills the old one; unlock answers 200', async () => {
    const user = await newUser();
    const reset = await as(admin).post(`/api/users/${user.id}/actions/reset_password`);
    expect(reset.status).toBe(200);
    expect(Object.keys(reset.body.data).sort()).toEqual(['expires_at', 'password_setup_url']);
    const hours = (Date.parse(reset.body.data.expires_at) - Date.now()) / 3_600_000;
    expect(hours).toBeGreaterThan(71.9);
    expect(hours).toBeLessThanOrEqual(72);
    expect((await fetch(user.password_setup_url)).status).toBe(410);
    expect((await fetch(reset.body.data.password_setup_url)).status).toBe(200);
    const unlock = await as(admin).post(`/api/users/${user.id}/actions/unlock`);
    expect(unlock.status).toBe(200);
    expect((await as(admin).post(`/api/users/${user.id}/actions/unlock`, { now: true })).status).toBe(422);
  });
});

describe('context: a non-ADMIN caller', () => {
  test('sees only members of its own client, only that membership', async () => {
    const both = await newUser([{ client_id: mis.client.id, scopes: ['client:read'] }, { client_id: otherMis.client.id, scopes: [] }]);
    const stranger = await newUser([{ client_id: otherMis.client.id, scopes: [] }]);
    const listed = await as(mis).get('/api/users?page_size=100');
    expect(listed.status).toBe(200);
    const ids = listed.body.data.map((u: { id: string }) => u.id);
    expect(ids).toContain(both.id);
    expect(ids).not.toContain(stranger.id);
    for (const u of listed.body.data) expect(u.memberships.every((m: { client_id: string }) => m.client_id === mis.client.id)).toBe(true);
    expect((await as(mis).get(`/api/users?client_id=${otherMis.client.id}`)).body.data.map((u: { id: string }) => u.id)).not.toContain(stranger.id);
    const one = await as(mis).get(`/api/users/${both.id}`);
    expect(one.body.data.memberships).toEqual([{ client_id: mis.client.id, scopes: ['client:read'] }]);
    expect((await as(mis).get(`/api/users/${stranger.id}`)).body).toEqual({ error: { type: 'forbidden', message: 'forbidden' } });
  });

  test('may PUT and DELETE only memberships of its own client; ADMIN-only doors are 403', async () => {
    const user = await newUser([{ client_id: otherMis.client.id, scopes: [] }]);
    const own = await as(mis).put(`/api/users/${user.id}/memberships/${mis.client.id}`, { scopes: ['client:read'] });
    expect(own.status).toBe(201);
    const other = await as(mis).put(`/api/users/${user.id}/memberships/${otherMis.client.id}`, { scopes: [] });
    expect(other.status).toBe(403);
    expect(other.body.error).toEqual({ type: 'forbidden', message: 'forbidden' });
    expect((await as(mis).del(`/api/users/${user.id}/memberships/${otherMis.client.id}`)).status).toBe(403);
    expect((await as(mis).del(`/api/users/${user.id}/grants/${otherMis.client.id}`)).status).toBe(403);
    for (const res of [
      await as(mis).post('/api/users', { email: email() }),
      await as(mis).patch(`/api/users/${user.id}`, { name: 'x' }),
      await as(mis).del(`/api/users/${user.id}`),
      await as(mis).post(`/api/users/${user.id}/actions/reset_password`),
      await as(mis).post(`/api/users/${user.id}/actions/unlock`),
    ]) expect(res.status).toBe(403);
    expect((await as(admin).get(`/api/users/${user.id}`)).body.data.name).toBe('');
    expect((await as(mis).del(`/api/users/${user.id}/memberships/${mis.client.id}`)).status).toBe(204);
  });

  test('scopes: user:read to read, user:write to change', async () => {
    const reader = await callerOfType(server, 'ADMIN', { scopes: ['user:read'] });
    expect((await as(reader).get('/api/users')).status).toBe(200);
    const denied = await as(reader).post('/api/users', { email: email() });
    expect(denied.status).toBe(403);
    expect(denied.body.error).toEqual({ type: 'forbidden', message: 'Invalid scopes' });
    expect((await api(server, 'GET', '/api/users')).status).toBe(401);
  });

  test('grants of a user with no grants: an empty list, and revoking is 404', async () => {
    const user = await newUser([{ client_id: mis.client.id, scopes: [] }]);
    const grants = await as(admin).get(`/api/users/${user.id}/grants`);
    expect(grants.status).toBe(200);
    expect(grants.body.data).toEqual([]);
    expect((await as(admin).del(`/api/users/${user.id}/grants/${mis.client.id}`)).status).toBe(404);
  });
});
