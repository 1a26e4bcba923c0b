// The operator's CLI (CONTRACT §6): --help and -h exit 0 with the command list; every error is one readable line
// per problem with exit code 2; api-client:create gives an operator a management-API token in one documented step.
import { clientCredentials } from './support/oauth.js';
import { runCli } from './support/process.js';
import { TEST_PEPPER, createDatabase, startServer, type TestServer } from './support/server.js';

let db: { url: string; drop(): Promise<void> };
let env: Record<string, string>;

beforeAll(async () => {
  db = await createDatabase();
  env = { DATABASE_URL: db.url, SECRET_PEPPER: TEST_PEPPER };
});
afterAll(() => db?.drop());

test.each([['--help'], ['-h'], ['clients:create', '--help']])('%s prints every command and exits 0', (...args) => {
  const res = runCli(env, args);
  expect(res.status).toBe(0);
  for (const command of ['admin:bootstrap', 'api-client:create', 'clients:create', 'connections:put', 'users:create', 'console:repair']) {
    expect(res.stdout).toContain(command);
  }
});

test.each([
  [[], 'no command given; see --help'],
  [['nope:nothing'], 'unknown command nope:nothing; see --help'],
  [['clients:create', '--bogus'], "unknown option '--bogus'; see --help"],
  [['admin:bootstrap'], '--email is required'],
  [['connections:put', '--consumer', 'x'], '--client is required'],
])('%j fails with one readable line and exit code 2', (args, line) => {
  const res = runCli(env, args as string[]);
  expect(res.status).toBe(2);
  const lines = res.stderr.trim().split('\n').filter((l) => !/oidc-provider/.test(l));
  expect(lines).toHaveLength(1);
  if (typeof line === 'string') expect(lines[0]).toBe(line);
  else expect(lines[0]).toMatch(line);
  expect(res.stderr).not.toMatch(/\{|\s+at /); // no raw JSON, no stack
});

test('a validation failure says one line per problem', () => {
  const res = runCli(env, ['clients:create', '--type', 'NOPE', '--permissions', 'Not A Scope']);
  expect(res.status).toBe(2);
  expect(res.stderr.trim().split('\n').sort()).toEqual([
    'client_type: must be equal to one of the allowed values',
    'name: required property is missing',
    'permissions[0]: must match pattern "^[a-z][a-z0-9_]*:[a-z][a-z0-9_]*$"',
  ].sort());
});

describe('api-client:create', () => {
  let server: TestServer;
  beforeAll(async () => (server = await startServer({ databaseUrl: db.url })));
  afterAll(() => server?.gatehouse.close());

  test('prints a client id and secret that get a management-API token, and the command that gets it', async () => {
    const res = runCli({ ...env, ISSUER: server.url }, ['api-client:create', '--name', 'Operations scripts']);
    expect(res.status).toBe(0);
    const clientId = /client_id:\s+(\S+)/.exec(res.stdout)![1];
    const secret = /client_secret:\s+(\S+)/.exec(res.stdout)![1];
    expect(res.stdout).toContain(`curl -s -u '${clientId}:${secret}' -d grant_type=client_credentials`);
    expect(res.stdout).toContain(`${server.url}/token`);
    const token = await clientCredentials(server.url, clientId, secret, 'client:read audit:read');
    expect(token.status).toBe(200);
  });
});
