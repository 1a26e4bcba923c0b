// Round trips to PostgreSQL per request of each scenario: `npx tsx bench/trace.ts`. Starts Gatehouse in this
// process (test/support/server.ts), seeds it like the bench, and lists every statement each request sends.
import type { PoolClient } from 'pg';
import { startServer } from '../test/support/server.js';
import { BASELINE_CLIENT } from './fixtures.js';
import { Browser, authorize, codeExchangeBody, postForm } from './flows.js';
import { seedGatehouse } from './seed.js';

const server = await startServer({ env: { CODE_TTL: '3600' } });
let statements: string[] | undefined;

// Every statement, pool.query's and TypeORM's alike, goes through a pooled client's query().
const pool = server.gatehouse.db.pool as unknown as { connect: (...args: unknown[]) => unknown };
const connect = pool.connect.bind(pool) as (...args: unknown[]) => unknown;
const traced = new WeakSet<PoolClient>();
function trace(client: PoolClient | undefined): PoolClient | undefined {
  if (client && !traced.has(client)) {
    traced.add(client);
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: unknown }).query = (config: unknown, ...rest: unknown[]) => {
      const c = config as { name?: string; text?: string };
      statements?.push(typeof config === 'string' ? config : c.name ?? c.text ?? '?');
      return query(config, ...rest);
    };
  }
  return client;
}
pool.connect = (callback?: unknown) => (typeof callback === 'function'
  ? connect((err: Error, client: PoolClient, release: unknown) => callback(err, trace(client), release))
  : (connect() as Promise<PoolClient>).then(trace));

async function count(label: string, request: () => Promise<unknown>): Promise<void> {
  statements = [];
  await request();
  const list = statements.map((s) => s.replace(/\s+/g, ' ').slice(0, 60));
  statements = undefined;
  process.stdout.write(`${label.padEnd(20)} ${String(list.length).padStart(2)}  ${list.join(' | ')}\n`);
}

try {
  const t = await seedGatehouse({ name: 'trace', url: server.url, internalUrl: server.internalUrl, databaseUrl: server.databaseUrl, pid: process.pid, stop: async () => undefined });
  const browser = new Browser();
  await authorize(browser, t.flow, 'openid');
  const code = await authorize(browser, t.flow, 'openid');
  await count('client_credentials', () => postForm(`${server.url}/token`, `grant_type=client_credentials&scope=${BASELINE_CLIENT.scope}`, t.ccBasic));
  await count('introspection', () => postForm(`${server.url}/token/introspection`, `token=${t.introspectToken}`, t.introspectBasic));
  await count('code_exchange', () => postForm(`${server.url}/token`, codeExchangeBody(t.flow, code), t.flow.basic));
  await count('authorize', () => fetch(`${server.url}${t.authOne}`, { redirect: 'manual' }));
  await count('api_connections', () => fetch(`${server.url}${t.api!.path}`, { headers: { authorization: `Bearer ${t.api!.token}` } }));
} finally {
  await server.stop();
}
