// Operator commands (CONTRACT §6): the internal API's operations plus admin:bootstrap, same domain functions.
import { parseArgs } from 'node:util';
import type { ValidateFunction } from 'ajv';
import { connectionUpsertBody, newClientBody } from './schemas/clients.js';
import { newUserBody } from './schemas/users.js';
import { compileBody, toEntries } from './schemas/validate.js';
import { ConfigError, loadConfig } from './config.js';
import { DataDirLocked, migrate, openDatabase } from './db.js';
import { type Actor } from './domain/audit.js';
import { bootstrapAdmin } from './domain/bootstrap.js';
import { createClient } from './domain/clients.js';
import { upsertConnection } from './domain/connections.js';
import { DomainError, Invalid } from './domain/errors.js';
import { Secrets } from './domain/secrets.js';
import { createUser } from './domain/users.js';
import { loadPepper } from './oidc/keys.js';

const USAGE = `usage: npm run cli -- <command> [options]

  admin:bootstrap --email <email> [--password <password>]
  clients:create --name <name> --type <ADMIN|MIS|MSP|PHARMACY|PRINT_SERVICE|INTEGRATION> [--id <id>] [--permissions a,b]
  connections:put --client <id> --consumer <id> [--redirect-uri <uri>]
  users:create --email <email> --password <password> [--name <name>] [--membership <client_id>=<scope,scope>]...`;

const OPTIONS = {
  email: { type: 'string' }, password: { type: 'string' }, name: { type: 'string' }, type: { type: 'string' },
  id: { type: 'string' }, permissions: { type: 'string' }, client: { type: 'string' }, consumer: { type: 'string' },
  'redirect-uri': { type: 'string' }, membership: { type: 'string', multiple: true }, help: { type: 'boolean' },
} as const;

// Operators act as Gatehouse itself: audit events name the door (CONTRACT §4 has user and client actors).
const actor: Actor = { type: 'client', id: 'gatehouse:cli', requestId: null };

function checked<T>(validate: ValidateFunction, body: unknown): T {
  if (!validate(body)) throw new Invalid(toEntries(validate.errors, 'json_data_property'));
  return body as T;
}

function list(value: string | undefined): string[] | undefined {
  return value === undefined ? undefined : value.split(',').map((s) => s.trim()).filter(Boolean);
}

async function main(): Promise<number> {
  const { positionals, values } = parseArgs({ args: process.argv.slice(2), options: OPTIONS, allowPositionals: true });
  const command = positionals[0];
  if (!command || values.help) {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  const config = loadConfig();
  const db = await openDatabase(config);
  try {
    await migrate(db);
    const manager = db.dataSource.manager;
    const secrets = new Secrets((await loadPepper(manager, config.secretPepper)).pepper);
    switch (command) {
      case 'admin:bootstrap': {
        if (!values.email) throw new Error('--email is required');
        const result = await bootstrapAdmin(manager, secrets, config.issuer, values.email, values.password);
        if (!result.created) {
          console.log(`Already bootstrapped (ADMIN client ${result.clientId}); nothing changed.`);
          return 0;
        }
        console.log(`Created ADMIN client ${result.clientId} and the admin console's connection.`);
        console.log(`Admin user: ${result.email}${result.existingUser ? ' (existing user, password unchanged)' : ''}`);
        if (result.generatedPassword) console.log(`Generated password (shown once): ${result.generatedPassword}`);
        console.log(`Console: ${config.issuer}/console`);
        return 0;
      }
      case 'clients:create': {
        const body = checked<Parameters<typeof createClient>[2]>(compileBody(newClientBody), {
          ...(values.id !== undefined && { id: values.id }), name: values.name, client_type: values.type,
          ...(values.permissions !== undefined && { permissions: list(values.permissions) }),
        });
        console.log(JSON.stringify({ data: await createClient(manager, actor, body) }, null, 2));
        return 0;
      }
      case 'connections:put': {
        if (!values.client) throw new Error('--client is required');
        const body = checked<Parameters<typeof upsertConnection>[4]>(compileBody(connectionUpsertBody), {
          consumer_id: values.consumer, ...(values['redirect-uri'] !== undefined && { redirect_uri: values['redirect-uri'] }),
        });
        const { connection, secret } = await upsertConnection(manager, secrets, actor, values.client, body);
        console.log(JSON.stringify({ data: { ...connection, secret } }, null, 2));
        return 0;
      }
      case 'users:create': {
        const memberships = (values.membership ?? []).map((m) => {
          const [clientId, scopes = ''] = m.split('=');
          return { client_id: clientId, scopes: list(scopes) ?? [] };
        });
        const body = checked<Parameters<typeof createUser>[2]>(compileBody(newUserBody), {
          email: values.email, password: values.password, ...(values.name !== undefined && { name: values.name }), memberships,
        });
        console.log(JSON.stringify({ data: await createUser(manager, actor, body) }, null, 2));
        return 0;
      }
      default:
        console.error(`unknown command ${command}\n${USAGE}`);
        return 2;
    }
  } finally {
    await db.close();
  }
}

main().then((code) => process.exit(code), (err) => {
  if (err instanceof ConfigError) console.error(err.problems.join('\n'));
  else if (err instanceof Invalid) console.error(`invalid: ${JSON.stringify(err.entries)}`);
  else if (err instanceof DataDirLocked || err instanceof DomainError || err instanceof Error) console.error(err.message);
  process.exit(1);
});
