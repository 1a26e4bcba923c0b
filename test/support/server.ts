// Test servers: each test file gets its own PostgreSQL database on the machine's server and a real
// Gatehouse listening on free ports, so files never see each other's data and can run side by side.
import crypto from 'node:crypto';
import net from 'node:net';
import pg from 'pg';
import { startGatehouse, type Gatehouse } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { type Logger, createLogger } from '../../src/log.js';
import type { Tuning } from '../../src/oidc/provider.js';

export const PG_ADMIN_URL = process.env.TEST_PG_URL ?? 'postgres://root@127.0.0.1:5432/postgres';
export const TEST_PEPPER = 'test-pepper-test-pepper-test-pepper-0123456789';

/** Ports this process has handed out: the kernel may offer a just-closed port again (PORT = INTERNAL_PORT, seen once). */
const handedOut = new Set<number>();

export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = net.createServer();
      srv.once('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const { port: p } = srv.address() as net.AddressInfo;
        srv.close(() => resolve(p));
      });
    });
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}

/** A new empty database; returns its URL and a function that drops it. */
export async function createDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `gh_test_${crypto.randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = PG_ADMIN_URL.replace(/\/[^/]*$/, `/${name}`);
  return {
    url,
    async drop() {
      const c = new pg.Client({ connectionString: PG_ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export interface TestServer {
  gatehouse: Gatehouse;
  /** Public base URL, equal to the issuer. */
  url: string;
  internalUrl: string;
  databaseUrl: string;
  env: Record<string, string>;
  stop(): Promise<void>;
}

/**
 * The provider's speed decorators for this test file: all on unless the file ran `withoutDecorators()` first, as the
 * *.undecorated.test.ts files do to prove that the read-ahead and the credential memory change no answer.
 */
function testTuning(): Tuning | undefined {
  return (globalThis as { gatehouseTestTuning?: Tuning }).gatehouseTestTuning;
}

export function withoutDecorators(): void {
  (globalThis as { gatehouseTestTuning?: Tuning }).gatehouseTestTuning = { readAhead: false, credentialMemory: false };
}

/** Starts Gatehouse on a fresh database (or on `databaseUrl`), with `env` overriding the defaults and `log` the logger's. */
export async function startServer(options: { env?: Record<string, string>; databaseUrl?: string; tuning?: Tuning; log?: Logger } = {}): Promise<TestServer> {
  const db = options.databaseUrl ? undefined : await createDatabase();
  const databaseUrl = options.databaseUrl ?? db!.url;
  const port = await freePort();
  const internalPort = await freePort();
  const env: Record<string, string> = {
    DATABASE_URL: databaseUrl,
    PORT: String(port),
    INTERNAL_PORT: String(internalPort),
    ISSUER: `http://127.0.0.1:${port}`,
    SECRET_PEPPER: TEST_PEPPER,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DB_POOL_SIZE: '4',
    ...options.env,
  };
  const gatehouse = await startGatehouse(loadConfig(env), options.log ?? createLogger(env.LOG_LEVEL), options.tuning ?? testTuning());
  return {
    gatehouse,
    url: env.ISSUER,
    internalUrl: gatehouse.internalUrl,
    databaseUrl,
    env,
    async stop() {
      await gatehouse.close();
      await db?.drop();
    },
  };
}
