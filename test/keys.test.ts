// CONTRACT §6 keys:rotate, keys:list, cookie-keys:rotate, with two instances on one database: a rotated signing key is
// in the JWKS at once, both instances sign with it without a restart, ID tokens signed before still verify for 24 h,
// then the key is dropped; a rotated cookie key signs at once and earlier ones verify for 14 days. Windows are crossed
// by moving the retirement time in the database, not by waiting.
import * as jose from 'jose';
import pg from 'pg';
import { createClient, createUser, putConnection } from './support/internal.js';
import { Browser, authorize, relyingParty, signIn } from './support/oauth.js';
import { startProcess } from './support/process.js';
import crypto from 'node:crypto';
import { DataSource } from 'typeorm';
import { MIGRATIONS } from '../migrations/index.js';
import { TEST_PEPPER, createDatabase, startServer, type TestServer } from './support/server.js';

let a: TestServer;
let b: TestServer;
let db: pg.Client;
let clientId: string;
let secret: string;
const REDIRECT = 'https://mis.example/callback';
const EMAIL = 'nurse@clinic.example';

beforeAll(async () => {
  a = await startServer({ env: { KEY_POLL_SECONDS: '2' } });
  b = await startServer({ databaseUrl: a.databaseUrl, env: { KEY_POLL_SECONDS: '2' } });
  db = new pg.Client({ connectionString: a.databaseUrl });
  await db.connect();
  const clinic = await createClient(a, { name: 'Clinic', client_type: 'MSP' });
  const mis = await createClient(a, { name: 'MIS', client_type: 'MIS' });
  ({ secret } = await putConnection(a, clinic.id, { consumer_id: mis.id, redirect_uri: REDIRECT }));
  clientId = clinic.id;
  await createUser(a, { email: EMAIL, memberships: [{ client_id: clinic.id, scopes: ['client:read'] }] });
});

afterAll(async () => {
  await db?.end();
  await b?.gatehouse.close();
  await a?.stop();
});

// Run without blocking this process: a blocked event loop makes fetch reuse keep-alive sockets the server closed.
async function cli(...args: string[]): Promise<{ status: number | null; stdout: string }> {
  const proc = startProcess('src/cli.ts', { DATABASE_URL: a.databaseUrl, SECRET_PEPPER: TEST_PEPPER }, args);
  const status = await proc.exited;
  return { status, stdout: proc.output().replace(/^.*oidc-provider WARNING.*$/gm, '') };
}

async function idToken(server: TestServer, browser = new Browser()): Promise<string> {
  const rp = await relyingParty(server.url, clientId, secret);
  const { tokens } = await signIn(rp, server.url, { redirectUri: REDIRECT, scope: 'openid', email: EMAIL, browser });
  return tokens.id_token!;
}

const kidOf = (jwt: string) => jose.decodeProtectedHeader(jwt).kid;

async function jwks(server: TestServer): Promise<{ keys: Array<{ kid: string; d?: string }> }> {
  const res = await fetch(`${server.url}/jwks`);
  expect(res.status).toBe(200);
  return res.json() as Promise<{ keys: Array<{ kid: string; d?: string }> }>;
}

/** Waits until both instances have built a Provider other than the ones given (the notification, or the poll). */
async function bothSwapped(before: [unknown, unknown]): Promise<void> {
  for (let i = 0; i < 600 && (a.gatehouse.provider === before[0] || b.gatehouse.provider === before[1]); i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
}

const listed = async () => {
  const res = await cli('keys:list');
  expect(res.status).toBe(0);
  return (JSON.parse(res.stdout) as { data: Array<{ kid: string; alg: string; created_at: string; state: string }> }).data;
};

test('keys:rotate publishes at once, both instances sign with the new key without a restart, old ID tokens verify', async () => {
  const oldToken = await idToken(a);
  const oldKid = kidOf(oldToken);
  expect(await listed()).toEqual([expect.objectContaining({ kid: oldKid, alg: 'RS256', state: 'signing', created_at: expect.any(String) })]);

  const before: [unknown, unknown] = [a.gatehouse.provider, b.gatehouse.provider];
  const res = await cli('keys:rotate');
  expect(res.status).toBe(0);
  const [current, previous] = await listed();
  expect(current.state).toBe('signing');
  expect(previous).toMatchObject({ kid: oldKid, state: 'published' });
  // Audited: who (the CLI), what, which key.
  expect((await db.query("SELECT actor_id, target_id FROM audit_events WHERE action = 'signing_key.rotate'")).rows)
    .toEqual([{ actor_id: 'gatehouse:cli', target_id: current.kid }]);

  // Published at once on both instances, public halves only.
  for (const server of [a, b]) {
    const set = await jwks(server);
    expect(set.keys.map((k) => k.kid)).toEqual([current.kid, oldKid]);
    expect(set.keys.every((k) => k.d === undefined)).toBe(true);
  }

  await bothSwapped(before);
  expect(kidOf(await idToken(a))).toBe(current.kid);
  expect(kidOf(await idToken(b))).toBe(current.kid);

  // The ID token signed before the rotation still verifies against the published set.
  const verified = await jose.jwtVerify(oldToken, jose.createLocalJWKSet(await jwks(b)), { issuer: a.url, audience: clientId });
  expect(verified.protectedHeader.kid).toBe(oldKid);

  // 24 h later the old key is no longer published, and housekeeping removes it.
  await db.query(`UPDATE provider_keys SET retired_at = now() - interval '25 hours' WHERE kid = $1`, [oldKid]);
  expect((await jwks(a)).keys.map((k) => k.kid)).toEqual([current.kid]);
  expect((await listed()).map((k) => k.kid)).toEqual([current.kid]);
  await expect(jose.jwtVerify(oldToken, jose.createLocalJWKSet(await jwks(b)))).rejects.toThrow();
  await a.gatehouse.housekeeping();
  expect((await db.query('SELECT 1 FROM provider_keys WHERE kid = $1', [oldKid])).rowCount).toBe(0);
});

test('a rotation whose notification was lost is found by the poll', async () => {
  const before: [unknown, unknown] = [a.gatehouse.provider, b.gatehouse.provider];
  // What keys:rotate does, without the notification: the current key retired, a new one (a copy under a new kid).
  const { rows: [old] } = await db.query<{ kid: string }>(
    "UPDATE provider_keys SET retired_at = now() WHERE purpose = 'signing' AND retired_at IS NULL RETURNING kid",
  );
  const { rows: [fresh] } = await db.query<{ kid: string }>(
    `WITH k AS (SELECT 'polled-' || md5(random()::text) AS kid)
     INSERT INTO provider_keys (kid, purpose, alg, key)
     SELECT k.kid, 'signing', 'RS256', jsonb_set(p.key, '{kid}', to_jsonb(k.kid)) FROM k, provider_keys p WHERE p.kid = $1
     RETURNING kid`, [old.kid],
  );
  await bothSwapped(before);
  expect(kidOf(await idToken(b))).toBe(fresh.kid);
});

test('cookie-keys:rotate: a new key signs, a session from before still counts for 14 days, then not', async () => {
  const browser = new Browser();
  const rp = await relyingParty(a.url, clientId, secret);
  await authorize(rp, a.url, { redirectUri: REDIRECT, scope: 'openid', email: EMAIL, browser });
  expect(browser.cookies.get('_session.sig')).toEqual(expect.any(String));
  // The same session's cookies as signed before the rotation (using the session later re-signs them with the new key).
  const later = new Browser();
  for (const [k, v] of browser.cookies) later.cookies.set(k, v);

  const before: [unknown, unknown] = [a.gatehouse.provider, b.gatehouse.provider];
  const res = await cli('cookie-keys:rotate');
  expect(res.status).toBe(0);
  expect(res.stdout).toMatch(/14 days/);
  await bothSwapped(before);

  // Signed in before the rotation: no login asked (a wrong password would fail if the login page came up).
  await authorize(rp, a.url, { redirectUri: REDIRECT, scope: 'openid', email: EMAIL, password: 'wrong', browser });
  // Cookies set from now on are signed with the new key.
  const fresh = new Browser();
  await authorize(rp, a.url, { redirectUri: REDIRECT, scope: 'openid', email: EMAIL, browser: fresh });
  const [current] = (await db.query<{ key: string }>("SELECT key #>> '{}' AS key FROM provider_keys WHERE purpose = 'cookie' AND retired_at IS NULL")).rows;
  const Keygrip = await keygrip();
  const session = `_session=${fresh.cookies.get('_session')}`;
  expect(new Keygrip([current.key]).verify(session, fresh.cookies.get('_session.sig')!)).toBe(true);

  // 14 days after its retirement the old key verifies nothing: the old session is gone, the login page comes back.
  const swapped: [unknown, unknown] = [a.gatehouse.provider, b.gatehouse.provider];
  await db.query("UPDATE provider_keys SET retired_at = now() - interval '15 days' WHERE purpose = 'cookie' AND retired_at IS NOT NULL");
  await db.query("SELECT pg_notify('provider_keys', 'cookie')");
  await bothSwapped(swapped);
  await expect(authorize(rp, a.url, { redirectUri: REDIRECT, scope: 'openid', email: EMAIL, password: 'wrong', browser: later })).rejects.toThrow(/401/);
});

test('upgrading: the keys an earlier version kept in settings become the first rows and keep signing', async () => {
  const old = await createDatabase();
  try {
    const earlier = new DataSource({ type: 'postgres', url: old.url, migrations: MIGRATIONS.slice(0, -1), logging: false });
    await earlier.initialize();
    await earlier.runMigrations({ transaction: 'all' });
    const jwk = { ...crypto.generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }), kid: 'kept-kid', alg: 'RS256', use: 'sig' };
    await earlier.query(`INSERT INTO settings (key, value) VALUES ('jwks', $1), ('cookie_keys', $2)`, [JSON.stringify({ keys: [jwk] }), JSON.stringify(['kept-cookie-key'])]);
    await earlier.destroy();
    const upgraded = await startServer({ databaseUrl: old.url });
    try {
      expect((await jwks(upgraded)).keys.map((k) => k.kid)).toEqual(['kept-kid']);
      const check = new pg.Client({ connectionString: old.url });
      await check.connect();
      expect((await check.query("SELECT purpose, key #>> '{}' AS key FROM provider_keys WHERE purpose = 'cookie'")).rows).toEqual([{ purpose: 'cookie', key: 'kept-cookie-key' }]);
      expect((await check.query("SELECT key FROM settings WHERE key IN ('jwks', 'cookie_keys')")).rowCount).toBe(0);
      await check.end();
    } finally {
      await upgraded.gatehouse.close();
    }
  } finally {
    await old.drop();
  }
});

test('--help lists the key commands', async () => {
  const res = await cli('--help');
  expect(res.status).toBe(0);
  for (const command of ['keys:rotate', 'keys:list', 'cookie-keys:rotate']) expect(res.stdout).toContain(command);
});

/** keygrip, as oidc-provider's cookies use it, to check which key signed a cookie. */
async function keygrip(): Promise<new (keys: string[]) => { verify(data: string, digest: string): boolean }> {
  const mod = await import('keygrip');
  return (mod.default ?? mod) as never;
}
