// What refresh_secret and DELETE do to credentials (CONTRACT §3 "Regenerated, refreshed or deleted secrets"):
// from the moment the call returns, the old secret gets invalid_client and tokens issued before are inactive.
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { accessToken, api, callerOfType, tokenRequest, type ApiCaller } from './support/api.js';
import { createClient, putConnection } from './support/internal.js';
import { startServer, type TestServer } from './support/server.js';

let server: TestServer;
let admin: ApiCaller;

beforeAll(async () => {
  server = await startServer({ env: { DB_POOL_SIZE: '10' } });
  admin = await callerOfType(server, 'ADMIN');
});
afterAll(() => server?.stop());

/** RFC 7662 introspection by the ADMIN client. */
async function isActive(token: string): Promise<boolean> {
  const res = await fetch(`${server.url}/token/introspection`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${admin.client.id}:${admin.self.secret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ token }),
  });
  expect(res.status).toBe(200);
  return ((await res.json()) as { active: boolean }).active;
}

const refreshPath = (c: ApiCaller) => `/api/clients/${c.client.id}/connections/${c.self.id}/actions/refresh_secret`;

describe('after refresh_secret returns', () => {
  test('the old secret gets invalid_client, a token issued before is inactive, the new secret works', async () => {
    const me = await callerOfType(server, 'MSP');
    const before = await accessToken(server, me.client.id, me.self.secret, ['connection:read']);
    // Another connection of the same client is not touched.
    const consumer = await createClient(server, { client_type: 'MIS' });
    const sibling = await putConnection(server, me.client.id, { consumer_id: consumer.id, redirect_uri: 'https://sibling.example/cb' });
    expect(await isActive(before)).toBe(true);

    const res = await api(server, 'PATCH', refreshPath(me), { token: admin.token });
    expect(res.status).toBe(200);

    const old = await tokenRequest(server, me.client.id, me.self.secret);
    expect(old.status).toBe(401);
    expect(old.body.error).toBe('invalid_client');
    expect(await isActive(before)).toBe(false);
    expect(await isActive(me.token)).toBe(false);
    expect((await api(server, 'GET', `/api/clients/${me.client.id}`, { token: me.token })).status).toBe(401);
    expect((await tokenRequest(server, me.client.id, res.body.data.secret)).status).toBe(200);
    const { rows } = await server.gatehouse.db.pool.query('SELECT secret_hash FROM connections WHERE id = $1', [sibling.id]);
    expect(rows[0].secret_hash).toBe(server.gatehouse.secrets.hash(sibling.secret));
  });

  test('a client refreshing its own credential with its own token: that token dies with it', async () => {
    const me = await callerOfType(server, 'PHARMACY');
    const res = await api(server, 'PATCH', refreshPath(me), { token: me.token });
    expect(res.status).toBe(200);
    expect((await api(server, 'GET', `/api/clients/${me.client.id}`, { token: me.token })).status).toBe(401);
    expect((await tokenRequest(server, me.client.id, me.self.secret)).body.error).toBe('invalid_client');
  });
});

describe('after DELETE returns', () => {
  test('the old secret gets invalid_client and a token issued before is inactive', async () => {
    const me = await callerOfType(server, 'MIS');
    const before = await accessToken(server, me.client.id, me.self.secret, ['client:read']);
    const res = await api(server, 'DELETE', `/api/clients/${me.client.id}/connections/${me.self.id}`, { token: admin.token });
    expect(res.status).toBe(204);
    const old = await tokenRequest(server, me.client.id, me.self.secret);
    expect(old.status).toBe(401);
    expect(old.body.error).toBe('invalid_client');
    expect(await isActive(before)).toBe(false);
    expect(await isActive(me.token)).toBe(false);
  });
});

describe('50 concurrent refresh_secret calls interleaved with token requests', () => {
  test('afterwards exactly one secret works: the one the last response returned', async () => {
    const me = await callerOfType(server, 'MSP');
    const initial = me.self.secret;
    const completed: string[] = [];
    const tokenStatuses: number[] = [];
    const issuedDuring: Array<{ secret: string; token: string }> = [];
    const refreshes = Array.from({ length: 50 }, async () => {
      const res = await api(server, 'PATCH', refreshPath(me), { token: admin.token });
      expect(res.status).toBe(200);
      completed.push(res.body.data.secret);
    });
    // Token requests with whatever secret is newest at the moment, all through the storm.
    const tokens = Array.from({ length: 50 }, async (_v, i) => {
      await new Promise((r) => setTimeout(r, i * 2));
      const secret = completed.at(-1) ?? initial;
      const res = await tokenRequest(server, me.client.id, secret);
      tokenStatuses.push(res.status);
      if (res.status === 200) issuedDuring.push({ secret, token: res.body.access_token });
      else expect(res.body.error).toBe('invalid_client');
    });
    await Promise.all([...refreshes, ...tokens]);

    expect(completed).toHaveLength(50);
    expect(new Set(completed).size).toBe(50);
    expect(tokenStatuses.every((s) => s === 200 || s === 401)).toBe(true);
    const works: string[] = [];
    for (const secret of [initial, ...completed]) {
      if ((await tokenRequest(server, me.client.id, secret)).status === 200) works.push(secret);
    }
    expect(works).toEqual([completed.at(-1)]);
    // The connection's stored hash is the last one too.
    const { rows } = await server.gatehouse.db.pool.query('SELECT secret_hash FROM connections WHERE id = $1', [me.self.id]);
    expect(rows[0].secret_hash).toBe(server.gatehouse.secrets.hash(completed.at(-1)!));
    // A token issued with a secret that a later refresh replaced was revoked by that refresh.
    for (const { secret, token } of issuedDuring) {
      if (secret !== completed.at(-1)) expect(await isActive(token)).toBe(false);
    }
  });
});

describe('token requests racing a refresh', () => {
  test('a token issued alongside a refresh does not outlive it (100 races)', async () => {
    const me = await callerOfType(server, 'PHARMACY');
    let secret = me.self.secret;
    const issued: string[] = [];
    const alive: number[] = [];
    for (let i = 0; i < 100; i++) {
      const [token, refresh] = await Promise.all([
        tokenRequest(server, me.client.id, secret),
        new Promise((r) => setTimeout(r, i % 4)).then(() => api(server, 'PATCH', refreshPath(me), { token: admin.token })),
      ]);
      expect(refresh.status).toBe(200);
      secret = refresh.body.data.secret;
      // Checked at once: the next refresh would revoke a survivor and hide it.
      if (token.status === 200) issued.push(token.body.access_token);
      if (token.status === 200 && (await isActive(token.body.access_token))) alive.push(i);
    }
    expect(issued.length).toBeGreaterThan(0);
    expect(alive).toEqual([]);
  }, 60_000);
});
