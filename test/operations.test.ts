// What operators see when the database goes away and when an instance is stopped (CONTRACT §1 "database
// unavailable", SHUTDOWN_GRACE_SECONDS; issue 10 items 10 and 11).
import { jest } from '@jest/globals';
import http from 'node:http';
import { callerOfType } from './support/api.js';
import { createClient, createUser, putConnection } from './support/internal.js';
import { clientCredentials, introspect } from './support/oauth.js';
import { asServer, startProcess, waitReady, type RunningProcess } from './support/process.js';
import { TEST_PEPPER, createDatabase, freePort } from './support/server.js';
import { type TcpProxy, tcpProxy } from './support/tcpProxy.js';

jest.setTimeout(120_000);

describe('the database stops and comes back', () => {
  let db: { url: string; drop(): Promise<void> };
  let proxy: TcpProxy;
  let proc: RunningProcess;
  let base: string;
  let internal: string;

  beforeAll(async () => {
    db = await createDatabase();
    proxy = await tcpProxy(5432);
    const [port, internalPort] = [await freePort(), await freePort()];
    base = `http://127.0.0.1:${port}`;
    internal = `http://127.0.0.1:${internalPort}`;
    const url = db.url.replace('127.0.0.1:5432', `127.0.0.1:${proxy.port}`);
    proc = startProcess('src/main.ts', { DATABASE_URL: url, PORT: String(port), INTERNAL_PORT: String(internalPort), ISSUER: base, SECRET_PEPPER: TEST_PEPPER, LOG_LEVEL: 'info' });
    await waitReady(`${base}/health/ready`, proc);
  });

  afterAll(async () => {
    await proc?.stop();
    await proxy?.close();
    await db?.drop();
  });

  test('every kind of endpoint answers 503 with Retry-After, the outage is logged once, and service resumes by itself', async () => {
    const node = asServer(base, internal);
    const admin = await callerOfType(node, 'ADMIN');
    const clinic = await createClient(node, { name: 'Clinic', client_type: 'MSP' });
    const mis = await createClient(node, { name: 'MIS', client_type: 'MIS' });
    await putConnection(node, clinic.id, { consumer_id: mis.id, redirect_uri: 'https://mis.example/cb' });
    await createUser(node, { email: 'nurse@clinic.example', memberships: [{ client_id: clinic.id, scopes: [] }] });
    const adminCreds: [string, string] = [admin.client.id, admin.self.secret];

    await proxy.cut();
    const oauthJson = { error: 'temporarily_unavailable', error_description: expect.any(String) };
    for (let round = 0; round < 20; round++) {
      const token = await clientCredentials(base, ...adminCreds, 'client:read');
      expect(token).toEqual({ status: 503, body: oauthJson });
      const intro = await introspect(base, admin.token, adminCreds);
      expect(intro).toEqual({ status: 503, body: oauthJson });
      const revoke = await fetch(`${base}/token/revocation`, {
        method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(adminCreds.join(':')).toString('base64')}` },
        body: `token=${admin.token}`,
      });
      expect(revoke.status).toBe(503);
      expect(await revoke.json()).toEqual(oauthJson);
      const api = await fetch(`${base}/api/clients`, { headers: { authorization: `Bearer ${admin.token}` } });
      expect(api.status).toBe(503);
      expect(api.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(await api.json()).toEqual({ error: { type: 'service_unavailable', message: expect.any(String) } });
      const page = await fetch(`${base}/auth?client_id=${clinic.id}&redirect_uri=https://mis.example/cb&response_type=code&scope=openid&code_challenge=E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM&code_challenge_method=S256`);
      expect(page.status).toBe(503);
      expect(page.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(await page.text()).toMatch(/temporarily_unavailable/);
      const internalCall = await fetch(`${internal}/internal/clients`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"x","client_type":"MIS"}' });
      expect(internalCall.status).toBe(503);
    }
    expect((await fetch(`${base}/health/ready`)).status).toBe(503);
    expect((await fetch(`${base}/health/live`)).status).toBe(200);

    await proxy.restore();
    await waitReady(`${base}/health/ready`, proc, 20_000);
    expect((await clientCredentials(base, ...adminCreds, 'client:read')).status).toBe(200);

    const lines = proc.output().split('\n');
    expect(lines.filter((l) => l.includes('database unavailable'))).toHaveLength(1);
    expect(lines.filter((l) => l.includes('database available again'))).toHaveLength(1);
    expect(lines.filter((l) => /"level":50/.test(l) && !l.includes('database unavailable'))).toEqual([]);
  });
});

describe('SIGTERM drains', () => {
  test('readiness answers 503 at once, the request in flight completes, then the process exits 0', async () => {
    const db = await createDatabase();
    const [port, internalPort] = [await freePort(), await freePort()];
    const base = `http://127.0.0.1:${port}`;
    const proc = startProcess('src/main.ts', {
      DATABASE_URL: db.url, PORT: String(port), INTERNAL_PORT: String(internalPort), ISSUER: base, SECRET_PEPPER: TEST_PEPPER,
      SHUTDOWN_GRACE_SECONDS: '20', LOG_LEVEL: 'info',
    });
    try {
      await waitReady(`${base}/health/ready`, proc);
      // A request in flight: its body arrives slowly, in two parts.
      const body = JSON.stringify({ name: 'Slowly created', client_type: 'MIS' });
      const answer = new Promise<{ status: number; text: string }>((resolve, reject) => {
        const req = http.request(`http://127.0.0.1:${internalPort}/internal/clients`, {
          method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        }, (res) => {
          let text = '';
          res.on('data', (d) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode!, text }));
        });
        req.on('error', reject);
        req.write(body.slice(0, 10));
        setTimeout(() => req.end(body.slice(10)), 1500);
      });
      await new Promise((r) => setTimeout(r, 200));
      const stoppedAt = Date.now();
      proc.child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 100));
      const ready = await fetch(`${base}/health/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toEqual({ status: 'stopping' });
      expect((await answer).status).toBe(201);
      expect(await proc.exited).toBe(0);
      expect(Date.now() - stoppedAt).toBeLessThan(20_000);
      expect(proc.output()).toMatch(/"msg":"stopped"/);
    } finally {
      await proc.stop();
      await db.drop();
    }
  });
});
