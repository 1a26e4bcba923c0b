// The operator's user commands (CONTRACT §6): users:reset-password prints a setup link and the current password
// stops working at once; users:unlock clears the login throttling of an email; errors are one line, exit code 2.
import pg from 'pg';
import { PASSWORD, createClient, createUser, putConnection, type TestClient, type TestConnection } from './support/internal.js';
import { authorize, relyingParty } from './support/oauth.js';
import { runCli } from './support/process.js';
import { TEST_PEPPER, startServer, type TestServer } from './support/server.js';

let server: TestServer;
let env: Record<string, string>;
let clinic: TestClient;
let conn: TestConnection;
const REDIRECT = 'https://mis.example/callback';

beforeAll(async () => {
  server = await startServer();
  env = { DATABASE_URL: server.databaseUrl, SECRET_PEPPER: TEST_PEPPER, ISSUER: server.url };
  clinic = await createClient(server, { name: 'Clinic', client_type: 'MSP' });
  const mis = await createClient(server, { name: 'MIS', client_type: 'MIS' });
  conn = await putConnection(server, clinic.id, { consumer_id: mis.id, redirect_uri: REDIRECT });
});

afterAll(() => server?.stop());

async function attempt(email: string, password: string): Promise<string> {
  const rp = await relyingParty(server.url, clinic.id, conn.secret);
  const result = await authorize(rp, server.url, { redirectUri: REDIRECT, scope: 'openid', email, password }).catch((e: Error) => e);
  if (result instanceof Error) return /unexpected (\d+)/.exec(result.message)?.[1] ?? result.message;
  return result.callbackUrl.searchParams.get('code') ? 'code' : 'no code';
}

test('--help lists the user commands', () => {
  const res = runCli(env, ['--help']);
  expect(res.status).toBe(0);
  expect(res.stdout).toContain('users:reset-password');
  expect(res.stdout).toContain('users:unlock');
});

test('users:reset-password prints a working setup link and the old password stops working', async () => {
  const email = 'forgot@clinic.example';
  await createUser(server, { email, memberships: [{ client_id: clinic.id, scopes: [] }] });
  expect(await attempt(email, PASSWORD)).toBe('code');
  const res = runCli(env, ['users:reset-password', '--email', email.toUpperCase()]);
  expect(res.status).toBe(0);
  const url = new RegExp(`${server.url}/password/setup/[A-Za-z0-9_-]{43}`).exec(res.stdout)?.[0];
  expect(url).toBeDefined();
  expect(await attempt(email, PASSWORD)).toBe('401');
  expect((await fetch(url!)).status).toBe(200);
});

test('users:unlock clears the throttling of that email', async () => {
  const email = 'locked.out@clinic.example';
  await createUser(server, { email, memberships: [{ client_id: clinic.id, scopes: [] }] });
  for (let i = 0; i < 5; i++) expect(await attempt(email, 'not the password')).toBe('401');
  expect(await attempt(email, PASSWORD)).toBe('429');
  const res = runCli(env, ['users:unlock', '--email', email]);
  expect(res.status).toBe(0);
  expect(res.stdout).toMatch(/Unlocked locked\.out@clinic\.example/);
  expect(await attempt(email, PASSWORD)).toBe('code');
  const db = new pg.Client({ connectionString: server.databaseUrl });
  await db.connect();
  try {
    const audit = await db.query(`SELECT actor_id FROM audit_events WHERE action = 'user.unlock'`);
    expect(audit.rows).toEqual([{ actor_id: 'gatehouse:cli' }]);
  } finally {
    await db.end();
  }
});

test.each([
  [['users:unlock'], '--email is required'],
  [['users:reset-password', '--email', 'nobody@clinic.example'], 'no user with email nobody@clinic.example'],
  [['users:unlock', '--email', 'nobody@clinic.example'], 'no user with email nobody@clinic.example'],
])('%j fails with one line and exit code 2', (args, line) => {
  const res = runCli(env, args);
  expect(res.status).toBe(2);
  expect(res.stderr.trim().split('\n').filter((l) => !/oidc-provider/.test(l))).toEqual([line]);
});
