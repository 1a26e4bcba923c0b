// A newcomer's first hour on the README's default (issue 9, CONTRACT §1 "embedded database"): `npm run cli --
// admin:bootstrap` and `npm start` without DATABASE_URL, then every flow (code with PKCE, refresh, client
// credentials, introspection, revocation, the console sign-in) before and after an idle pause longer than any pool
// or socket timeout (pg closes idle clients after 10 s by default), and again after a restart on the same DATA_DIR.
import { jest } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as oidc from 'openid-client';
import { consoleSignIn } from './support/consoleFetch.js';
import { PASSWORD, createClient, createUser, putConnection } from './support/internal.js';
import { clientCredentials, introspect, relyingParty, signIn, tokenRequest } from './support/oauth.js';
import { asServer, runCli, startNpm, waitReady, type RunningProcess } from './support/process.js';
import { freePort } from './support/server.js';

jest.setTimeout(240_000);

const IDLE_MS = 12_000;
const ADMIN = 'admin@embedded.example';

describe('npm start on the embedded database', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-newcomer-'));
  let port: number;
  let internalPort: number;
  let proc: RunningProcess | undefined;

  beforeAll(async () => {
    port = await freePort();
    internalPort = await freePort();
    // Run as the README says, before the first start and without PORT: the console is registered for the default
    // port, and the server started on another one must still sign its admins in (CONTRACT §7).
    const bootstrap = runCli({ DATABASE_URL: '', DATA_DIR: dataDir, ISSUER: '', PORT: '' }, ['admin:bootstrap', '--email', ADMIN, '--password', PASSWORD]);
    expect(bootstrap.status).toBe(0);
    expect(bootstrap.stdout).toContain('http://localhost:3000/console');
  });

  afterAll(async () => {
    await proc?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  async function start() {
    proc = startNpm({ DATABASE_URL: '', DATA_DIR: dataDir, PORT: String(port), INTERNAL_PORT: String(internalPort), ISSUER: '' });
    await waitReady(`http://127.0.0.1:${port}/health/ready`, proc, 120_000);
  }

  const issuer = () => `http://localhost:${port}`;
  const node = () => asServer(issuer(), `http://127.0.0.1:${internalPort}`);

  /** Every flow once, each with its own clients so that rounds never see each other's tokens. */
  async function everyFlow(round: string) {
    const clinic = await createClient(node(), { name: `Clinic ${round}`, client_type: 'MSP' });
    const mis = await createClient(node(), { name: `MIS ${round}`, client_type: 'MIS' });
    const redirectUri = `http://127.0.0.1:9/${round}/cb`;
    const conn = await putConnection(node(), clinic.id, { consumer_id: mis.id, redirect_uri: redirectUri });
    const email = `doctor-${round}@clinic.example`;
    await createUser(node(), { email, memberships: [{ client_id: clinic.id, scopes: [] }] });
    const admin = await createClient(node(), { name: `Ops ${round}`, client_type: 'ADMIN' });
    const adminSecret = (await putConnection(node(), admin.id, { consumer_id: admin.id })).secret;

    // Code flow with PKCE, through openid-client.
    const rp = await relyingParty(issuer(), clinic.id, conn.secret);
    const { tokens } = await signIn(rp, issuer(), { redirectUri, scope: 'openid offline_access', prompt: 'consent', email });
    expect(tokens.access_token).toBeTruthy();
    const refreshed = await oidc.refreshTokenGrant(rp, tokens.refresh_token!);
    expect(refreshed.access_token).toBeTruthy();

    const cc = await clientCredentials(issuer(), admin.id, adminSecret, 'client:read');
    expect(cc.status).toBe(200);
    const active = await introspect(issuer(), refreshed.access_token, [admin.id, adminSecret]);
    expect(active.body).toMatchObject({ active: true, client_id: clinic.id, consumer_id: mis.id });

    await oidc.tokenRevocation(rp, refreshed.refresh_token!);
    const again = await tokenRequest(issuer(), { grant_type: 'refresh_token', refresh_token: refreshed.refresh_token! }, [clinic.id, conn.secret]);
    expect(again.body.error).toBe('invalid_grant');

    const console = await consoleSignIn(issuer(), ADMIN);
    expect(console.status).toBe(200);
    expect(new URL(console.url).pathname).toBe('/console/services');
  }

  test('every flow works, after an idle pause, and after a restart on the same data directory', async () => {
    await start();
    await everyFlow('first');
    await new Promise((r) => setTimeout(r, IDLE_MS));
    await everyFlow('after-idle');
    expect(await proc!.stop()).toBe(0);
    await start();
    await everyFlow('after-restart');
    await new Promise((r) => setTimeout(r, IDLE_MS));
    await everyFlow('after-restart-and-idle');
    expect(proc!.output()).not.toMatch(/"level":50/); // no error was logged
  });
});
