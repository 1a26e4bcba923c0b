// Operator commands (CONTRACT §6): the internal API's operations plus bootstrap, recovery and operations commands,
// through the same domain functions and schemas as every other door.
import { parseArgs } from 'node:util';
import type { ValidateFunction } from 'ajv';
import type { EntityManager } from 'typeorm';
import { ConfigError, type Config, loadConfig } from './config.js';
import { DataDirLocked, migrate, openDatabase } from './db.js';
import { type Actor } from './domain/audit.js';
import { bootstrapAdmin } from './domain/bootstrap.js';
import { createClient } from './domain/clients.js';
import { upsertConnection } from './domain/connections.js';
import { repairConsole } from './domain/consoleClient.js';
import { DomainError, Invalid } from './domain/errors.js';
import { Secrets } from './domain/secrets.js';
import { NotFound } from './domain/errors.js';
import { createUser, findUserIdByEmail, resetPassword, unlockUser } from './domain/users.js';
import { ensureProviderKeys, listKeys, loadPepper, rotateKeys } from './oidc/keys.js';
import { connectionUpsertBody, newClientBody } from './schemas/clients.js';
import { newUserBody } from './schemas/users.js';
import { compileBody, toEntries } from './schemas/validate.js';

interface Context {
  manager: EntityManager;
  secrets: Secrets;
  config: Config;
  values: Values;
}

interface Command {
  usage: string;
  summary: string;
  run(ctx: Context): Promise<void>;
}

const OPTIONS = {
  email: { type: 'string' }, password: { type: 'string' }, name: { type: 'string' }, type: { type: 'string' },
  id: { type: 'string' }, permissions: { type: 'string' }, client: { type: 'string' }, consumer: { type: 'string' },
  'redirect-uri': { type: 'string' }, 'post-logout-redirect-uri': { type: 'string' }, membership: { type: 'string', multiple: true }, help: { type: 'boolean', short: 'h' },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

/** A problem with what the operator typed: one line, exit code 2. */
class UsageError extends Error {}

// Operators act as Gatehouse itself: audit events name the door (CONTRACT §4 has user and client actors).
const actor: Actor = { type: 'client', id: 'gatehouse:cli', requestId: null };

function checked<T>(validate: ValidateFunction, body: unknown): T {
  if (!validate(body)) throw new Invalid(toEntries(validate.errors, 'json_data_property'));
  return body as T;
}

function list(value: string | undefined): string[] | undefined {
  return value === undefined ? undefined : value.split(',').map((s) => s.trim()).filter(Boolean);
}

function required(values: Values, name: keyof Values): string {
  const value = values[name];
  if (typeof value !== 'string' || !value) throw new UsageError(`--${name} is required`);
  return value;
}

async function userByEmail(manager: EntityManager, email: string): Promise<string> {
  const id = await findUserIdByEmail(manager, email);
  if (!id) throw new NotFound(`no user with email ${email}`);
  return id;
}

const print = (data: unknown) => console.log(JSON.stringify({ data }, null, 2));

const COMMANDS: Record<string, Command> = {
  'admin:bootstrap': {
    usage: '--email <email> [--password <password>]',
    summary: 'the first ADMIN client, the admin console\'s connection and an admin user (prints a generated password once)',
    async run({ manager, secrets, config, values }) {
      const result = await bootstrapAdmin(manager, secrets, config.issuer, required(values, 'email'), values.password);
      if (!result.created) {
        console.log(`Already bootstrapped (ADMIN client ${result.clientId}); nothing changed.`);
        return;
      }
      console.log(`Created ADMIN client ${result.clientId} and the admin console's connection.`);
      console.log(`Admin user: ${result.email}${result.existingUser ? ' (existing user, password unchanged)' : ''}`);
      if (result.generatedPassword) console.log(`Generated password (shown once): ${result.generatedPassword}`);
      console.log(`Console: ${config.issuer}/console`);
    },
  },
  'api-client:create': {
    usage: '--name <name> [--permissions a,b]',
    summary: 'an ADMIN client for scripts, with its secret (shown once) and how to get a management-API token',
    async run({ manager, secrets, config, values }) {
      const body = checked<Parameters<typeof createClient>[2]>(compileBody(newClientBody), {
        name: required(values, 'name'), client_type: 'ADMIN', ...(values.permissions !== undefined && { permissions: list(values.permissions) }),
      });
      const client = await createClient(manager, actor, body);
      const { secret } = await upsertConnection(manager, secrets, actor, client.id, { consumer_id: client.id });
      console.log(`client_id:     ${client.id}`);
      console.log(`client_secret: ${secret}   (shown once)`);
      console.log(`permissions:   ${client.permissions.join(' ')}`);
      console.log('A management-API token (client_credentials, CONTRACT §3):');
      console.log(`  curl -s -u '${client.id}:${secret}' -d grant_type=client_credentials -d 'scope=${client.permissions.join(' ')}' ${config.issuer}/token`);
    },
  },
  'clients:create': {
    usage: '--name <name> --type <ADMIN|MIS|MSP|PHARMACY|PRINT_SERVICE|INTEGRATION> [--id <id>] [--permissions a,b]',
    summary: 'as POST /internal/clients',
    async run({ manager, values }) {
      const body = checked<Parameters<typeof createClient>[2]>(compileBody(newClientBody), {
        ...(values.id !== undefined && { id: values.id }), name: values.name, client_type: values.type,
        ...(values.permissions !== undefined && { permissions: list(values.permissions) }),
      });
      print(await createClient(manager, actor, body));
    },
  },
  'connections:put': {
    usage: '--client <id> --consumer <id> [--redirect-uri <uri>] [--post-logout-redirect-uri <uri>]',
    summary: 'as PUT /internal/clients/{id}/connections: a new secret on every call',
    async run({ manager, secrets, values }) {
      const client = required(values, 'client');
      const body = checked<Parameters<typeof upsertConnection>[4]>(compileBody(connectionUpsertBody), {
        consumer_id: values.consumer, ...(values['redirect-uri'] !== undefined && { redirect_uri: values['redirect-uri'] }),
        ...(values['post-logout-redirect-uri'] !== undefined && { post_logout_redirect_uri: values['post-logout-redirect-uri'] }),
      });
      const { connection, secret } = await upsertConnection(manager, secrets, actor, client, body);
      print({ ...connection, secret });
    },
  },
  'users:create': {
    usage: '--email <email> --password <password> [--name <name>] [--membership <client_id>=<scope,scope>]...',
    summary: 'as POST /internal/users',
    async run({ manager, values }) {
      const memberships = (values.membership ?? []).map((m) => {
        const [clientId, scopes = ''] = m.split('=');
        return { client_id: clientId, scopes: list(scopes) ?? [] };
      });
      const body = checked<Parameters<typeof createUser>[2]>(compileBody(newUserBody), {
        email: values.email, password: values.password, ...(values.name !== undefined && { name: values.name }), memberships,
      });
      print(await createUser(manager, actor, body));
    },
  },
  'users:reset-password': {
    usage: '--email <email>',
    summary: 'prints a password setup link (valid 72 hours, single use); the current password stops working at once',
    async run({ manager, secrets, config, values }) {
      const userId = await userByEmail(manager, required(values, 'email'));
      const link = await resetPassword(manager, { secrets, issuer: config.issuer }, actor, userId);
      console.log(`The password of ${values.email} no longer works and the user's sessions have ended.`);
      console.log(`Password setup link (single use, until ${link.expires_at}):`);
      console.log(link.url);
    },
  },
  'users:unlock': {
    usage: '--email <email>',
    summary: 'clears the login throttling of that email',
    async run({ manager, values }) {
      const { email, cleared } = await unlockUser(manager, actor, await userByEmail(manager, required(values, 'email')));
      console.log(cleared ? `Unlocked ${email}: ${cleared} throttling counter(s) cleared.` : `${email} was not locked; nothing to clear.`);
    },
  },
  'console:repair': {
    usage: '',
    summary: 'restores the admin console\'s own connection (secret and redirect_uri = ${ISSUER}/console/callback)',
    async run({ manager, secrets, config }) {
      const result = await repairConsole(manager, secrets, config.issuer, actor);
      if (result === 'not-bootstrapped') throw new UsageError('the console is not set up: run admin:bootstrap first');
      console.log(result === 'unchanged'
        ? `The admin console's connection is in order (redirect_uri ${config.issuer}/console/callback); nothing changed.`
        : `The admin console's connection was ${result}: redirect_uri ${config.issuer}/console/callback and its secret are as they should be.`);
    },
  },
  'keys:rotate': {
    usage: '',
    summary: 'a new signing key, published in the JWKS at once and signing on every running instance within 60 s; earlier keys stay published for 24 h',
    async run({ manager }) {
      await ensureProviderKeys(manager);
      const { kid } = await rotateKeys(manager, actor, 'signing');
      console.log(`New signing key ${kid}: published now, signing on every instance within 60 s; the previous key stays published for 24 h.`);
    },
  },
  'keys:list': {
    usage: '',
    summary: 'the signing keys with kid, algorithm, created, and state (signing, published)',
    async run({ manager }) {
      await ensureProviderKeys(manager);
      print(await listKeys(manager, 'signing'));
    },
  },
  'cookie-keys:rotate': {
    usage: '',
    summary: 'a new cookie key signs from now on, on every instance within 60 s; earlier ones still verify for 14 days',
    async run({ manager }) {
      await ensureProviderKeys(manager);
      const { kid } = await rotateKeys(manager, actor, 'cookie');
      console.log(`New cookie key ${kid}: signing on every instance within 60 s; earlier cookie keys still verify for 14 days.`);
    },
  },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name} ${c.usage}\n      ${c.summary}`);
  return `usage: npm run cli -- <command> [options]   (the same environment as npm start)\n\n${lines.join('\n')}`;
}

async function main(): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: process.argv.slice(2), options: OPTIONS, allowPositionals: true });
  } catch (err) {
    // node's parseArgs explains at length; its first sentence is the problem.
    throw new UsageError(`${(err as Error).message.split(/\.\s|\n/)[0].replace(/^Unknown option/, 'unknown option')}; see --help`);
  }
  const { positionals, values } = parsed;
  const name = positionals[0];
  if (values.help) {
    console.log(usage());
    return 0;
  }
  if (!name) throw new UsageError('no command given; see --help');
  const command = COMMANDS[name];
  if (!command) throw new UsageError(`unknown command ${name}; see --help`);
  const config = loadConfig();
  const db = await openDatabase(config);
  try {
    await migrate(db);
    const manager = db.dataSource.manager;
    const secrets = new Secrets((await loadPepper(manager, config.secretPepper)).pepper);
    await command.run({ manager, secrets, config, values });
    return 0;
  } finally {
    await db.close();
  }
}

/** Every error is one readable line per problem, and exit code 2 (CONTRACT §6). */
function problems(err: unknown): string[] {
  if (err instanceof ConfigError) return err.problems;
  if (err instanceof Invalid) {
    return err.entries.flatMap((e) => e.rules.map((r) => `${e.entry.replace(/^\$\.?/, '') || 'input'}: ${r.description}`));
  }
  if (err instanceof UsageError || err instanceof DataDirLocked || err instanceof DomainError) return [err.message];
  return [`failed: ${(err as Error)?.message ?? String(err)}`];
}

main().then((code) => process.exit(code), (err) => {
  for (const line of problems(err)) console.error(line);
  process.exit(2);
});
