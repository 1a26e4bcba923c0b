// CONTRACT §1: several processes on one database behave as one server; a bad configuration exits with one
// line naming the variable; the embedded database keeps its data and refuses a second process.
import { jest } from '@jest/globals';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createDatabase, freePort, TEST_PEPPER } from './support/server.js';
import { createClient, createUser, putConnection } from './support/internal.js';
import { Browser, clientCredentials, introspect, relyingParty, tokenRequest, authorize } from './support/oauth.js';
import { runCli, startProcess, waitReady, type RunningProcess } from './support/process.js';

jest.setTimeout(180_000);

describe('two processes on one database', () => {
  let db: { url: string; drop(): Promise<void> };
  const procs: RunningProcess[] = [];
  const nodes: Array<{ url: string; internalUrl: string }> = [];

  beforeAll(async () => {
    db = await createDatabase();
    const ports = [await freePort(), await freePort(), await freePort(), await freePort()];
    const issuer = `http://127.0.0.1:${ports[0]}`;
    // Both start at once on the empty database: migrations and key generation must not collide.
    for (const i of [0, 1]) {
      const env = {
        DATABASE_URL: db.url, PORT: String(ports[i * 2]), INTERNAL_PORT: String(ports[i * 2 + 1]), ISSUER: issuer, SECRET_PEPPER: TEST_PEPPER,
      };
      procs.push(startProcess('src/main.ts', env));
      nodes.push({ url: `http://127.0.0.1:${ports[i * 2]}`, internalUrl: `http://127.0.0.1:${ports[i * 2 + 1]}` });
    }
    await Promise.all(nodes.map((n, i) => waitReady(`${n.url}/health/ready`, procs[i])));
  });

  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    await db?.drop();
  });

  test('a code flow alternating between them, then refresh, rotation and revocation across them', async () => {
    const [one, two] = nodes;
    const as = (n: { url: string; internalUrl: string }) => ({ ...n, gatehouse: undefined as never, databaseUrl: db.url, env: {}, stop: async () => {} });
    const clinic = await createClient(as(one), { name: 'Clinic', client_type: 'MSP' });
    const mis = await createClient(as(two), { name: 'MIS', client_type: 'MIS' });
    const redirectUri = 'https://mis.example/cb';
    const conn = await putConnection(as(two), clinic.id, { consumer_id: mis.id, redirect_uri: redirectUri });
    await createUser(as(one), { email: 'multi@clinic.example', memberships: [{ client_id: clinic.id, scopes: [] }] });

    // Every browser request goes to the other instance than the one before.
    class Alternating extends Browser {
      hop = 0;
      override request(url: string, init?: RequestInit) {
        const target = new URL(url);
        target.host = new URL(nodes[this.hop++ % 2].url).host;
        return super.request(target.href, init);
      }
    }
    const browser = new Alternating();
    const rp = await relyingParty(one.url, clinic.id, conn.secret);
    const a = await authorize(rp, one.url, { redirectUri, scope: 'openid offline_access', prompt: 'consent', email: 'multi@clinic.example', browser });
    expect(browser.hop).toBeGreaterThanOrEqual(6);
    const code = a.callbackUrl.searchParams.get('code')!;
    const exchanged = await tokenRequest(two.url, { grant_type: 'authorization_code', code, code_verifier: a.verifier, redirect_uri: redirectUri }, [clinic.id, conn.secret]);
    expect(exchanged.status).toBe(200);
    const refreshed = await tokenRequest(one.url, { grant_type: 'refresh_token', refresh_token: exchanged.body.refresh_token as string }, [clinic.id, conn.secret]);
    expect(refreshed.status).toBe(200);

    const adm = await createClient(as(one), { name: 'Admin', client_type: 'ADMIN' });
    const admin: [string, string] = [adm.id, (await putConnection(as(one), adm.id, { consumer_id: adm.id })).secret];
    expect((await introspect(two.url, refreshed.body.access_token as string, admin)).body.active).toBe(true);

    // A rotation through one instance is seen by the other at once.
    const rotated = await putConnection(as(one), clinic.id, { consumer_id: mis.id });
    expect((await introspect(two.url, refreshed.body.access_token as string, admin)).body).toEqual({ active: false });
    const old = await tokenRequest(two.url, { grant_type: 'refresh_token', refresh_token: refreshed.body.refresh_token as string }, [clinic.id, conn.secret]);
    expect(old).toMatchObject({ status: 401, body: { error: 'invalid_client' } });
    const selfConn = await putConnection(as(two), clinic.id, { consumer_id: clinic.id });
    expect((await clientCredentials(one.url, clinic.id, selfConn.secret, 'client:read')).status).toBe(200);
    expect(rotated.secret).not.toBe(conn.secret);
  });

  test('both serve the same signing keys', async () => {
    const [k1, k2] = await Promise.all(nodes.map(async (n) => (await fetch(`${n.url}/jwks`)).json()));
    expect(k1).toEqual(k2);
  });
});

describe('start-up', () => {
  test.each([
    ['PORT', { PORT: 'abc' }],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://localhost/x' }],
    ['ACCESS_TOKEN_TTL', { ACCESS_TOKEN_TTL: '-5' }],
    ['ISSUER', { ISSUER: 'not a url' }],
    ['SECRET_PEPPER', { SECRET_PEPPER: 'short' }],
    ['DATABASE_URL', { DATABASE_URL: 'postgres://root@127.0.0.1:1/none' }],
  ])('a bad %s exits non-zero with one line naming it', async (name, env) => {
    const proc = startProcess('src/main.ts', { DATABASE_URL: 'postgres://root@127.0.0.1:1/never', ...env });
    const code = await proc.exited;
    expect(code).not.toBe(0);
    const lines = proc.output().split('\n').filter((l) => l.trim() && !/oidc-provider|nodedir/.test(l));
    expect(lines).toHaveLength(1);
    expect(lines[0].startsWith(`${name}:`)).toBe(true);
  });
});

test('a PORT already in use exits non-zero with one line naming PORT', async () => {
  const taken = net.createServer();
  await new Promise<void>((resolve) => taken.listen(0, '0.0.0.0', resolve));
  const db = await createDatabase();
  try {
    const port = (taken.address() as net.AddressInfo).port;
    const proc = startProcess('src/main.ts', { DATABASE_URL: db.url, SECRET_PEPPER: TEST_PEPPER, PORT: String(port), INTERNAL_PORT: String(await freePort()) });
    expect(await proc.exited).toBe(2);
    const lines = proc.output().split('\n').filter((l) => l.trim() && !/oidc-provider|nodedir/.test(l));
    expect(lines).toEqual([`PORT: cannot listen on 0.0.0.0:${port} (EADDRINUSE)`]);
  } finally {
    taken.close();
    await db.drop();
  }
});

describe('the embedded database (no DATABASE_URL)', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-embedded-'));
  afterAll(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  async function start() {
    const port = await freePort();
    const internalPort = await freePort();
    const proc = startProcess('src/main.ts', { DATABASE_URL: '', DATA_DIR: dataDir, PORT: String(port), INTERNAL_PORT: String(internalPort) });
    const node = { url: `http://127.0.0.1:${port}`, internalUrl: `http://127.0.0.1:${internalPort}` };
    await waitReady(`${node.url}/health/ready`, proc, 120_000);
    return { proc, node, port, internalPort };
  }

  test('starts, keeps its data across a restart, and refuses a second process', async () => {
    const first = await start();
    const as = { ...first.node, gatehouse: undefined as never, databaseUrl: '', env: {}, stop: async () => {} };
    const svc = await createClient(as, { id: 'embedded_svc', name: 'Embedded', client_type: 'INTEGRATION', permissions: ['client:read'] });
    const { secret } = await putConnection(as, svc.id, { consumer_id: svc.id });
    expect(first.proc.output()).toMatch(/SECRET_PEPPER/); // the warning of a generated pepper

    const second = startProcess('src/main.ts', { DATABASE_URL: '', DATA_DIR: dataDir, PORT: String(await freePort()), INTERNAL_PORT: String(await freePort()) });
    expect(await second.exited).not.toBe(0);
    expect(second.output()).toMatch(/DATA_DIR: .* is in use by another Gatehouse process/);

    expect(await first.proc.stop()).toBe(0);
    const again = await start();
    try {
      // The same secret works after the restart: client, connection, pepper and keys were all kept.
      const token = await clientCredentials(again.node.url, svc.id, secret, 'client:read');
      expect(token.status).toBe(200);
    } finally {
      await again.proc.stop();
    }
  });
});

describe('the CLI', () => {
  let db: { url: string; drop(): Promise<void> };
  beforeAll(async () => (db = await createDatabase()));
  afterAll(() => db?.drop());

  test('admin:bootstrap creates the admin once and then changes nothing', async () => {
    const env = { DATABASE_URL: db.url, SECRET_PEPPER: TEST_PEPPER, ISSUER: 'http://127.0.0.1:3000' };
    const first = runCli(env, ['admin:bootstrap', '--email', 'root@gatehouse.example']);
    expect(first.status).toBe(0);
    expect(first.stdout).toMatch(/Created ADMIN client [0-9a-f-]{36}/);
    expect(first.stdout).toMatch(/Generated password \(shown once\): \S{20,}/);
    const second = runCli(env, ['admin:bootstrap', '--email', 'root@gatehouse.example']);
    expect(second.status).toBe(0);
    expect(second.stdout).toMatch(/nothing changed/);
  });

  test('clients:create and connections:put validate like the internal API', async () => {
    const env = { DATABASE_URL: db.url, SECRET_PEPPER: TEST_PEPPER };
    const created = runCli(env, ['clients:create', '--name', 'Pharmacy', '--type', 'PHARMACY']);
    expect(created.status).toBe(0);
    const id = JSON.parse(created.stdout).data.id;
    const bad = runCli(env, ['connections:put', '--client', id, '--consumer', id, '--redirect-uri', 'http://evil.example/cb']);
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toBe('redirect_uri: http is allowed on a loopback host only');
    const ok = runCli(env, ['connections:put', '--client', id, '--consumer', id]);
    expect(ok.status).toBe(0);
    expect(JSON.parse(ok.stdout).data.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const unknownType = runCli(env, ['clients:create', '--name', 'X', '--type', 'NOPE']);
    expect(unknownType.status).toBe(2);
    expect(unknownType.stderr.trim().split('\n')).toEqual(['client_type: must be equal to one of the allowed values']);
  });
});
