// The servers under test, each in its own child process so each gets a clean heap and its own core time:
// Gatehouse (`src/main.ts`) on a database created for the run, and the stock oidc-provider baseline.
import { type ChildProcess, spawn } from 'node:child_process';
import crypto from 'node:crypto';
import net from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { BENCH_CODE_TTL, BENCH_PEPPER } from './fixtures.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const PG_ADMIN_URL = process.env.BENCH_PG_URL ?? process.env.TEST_PG_URL ?? 'postgres://root@127.0.0.1:5432/postgres';

export interface RunningServer {
  name: string;
  url: string;
  internalUrl?: string;
  databaseUrl?: string;
  pid: number;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

export async function adminQuery(sql: string): Promise<void> {
  const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
  await admin.connect();
  try {
    await admin.query(sql);
  } finally {
    await admin.end();
  }
}

/** A new empty database for this run (same recipe as test/support/server.ts). */
export async function createDatabase(label: string): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `gh_bench_${label}_${crypto.randomBytes(4).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  return {
    url: databaseUrl(name),
    drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

/** The admin URL pointed at another database; keeps a `?host=/socket/dir` query. */
function databaseUrl(name: string): string {
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.href;
}

function spawnTs(script: string, env: Record<string, string>, extraArgs: string[] = []): ChildProcess {
  return spawn(process.execPath, [...extraArgs, '--import', 'tsx', script], {
    cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'],
  });
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () => new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    const force = setTimeout(() => child.kill('SIGKILL'), 5000);
    child.once('exit', () => {
      clearTimeout(force);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

async function waitFor(check: () => Promise<boolean>, child: ChildProcess, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode}`);
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${what} did not become ready in ${timeoutMs / 1000} s`);
}

export interface GatehouseOptions {
  label: string;
  /** Another instance on this database instead of a fresh one; stop() then leaves the database alone. */
  databaseUrl?: string;
  /** More environment, e.g. PRINT_JOB_LEASE_SECONDS. */
  env?: Record<string, string>;
  poolSize?: number;
  /** Extra node flags for the server process, e.g. --cpu-prof. */
  nodeArgs?: string[];
}

/** `src/main.ts` on a fresh database (or `databaseUrl`), LOG_LEVEL=warn, CODE_TTL raised so pre-minted codes live through the run. */
export async function startGatehouse(o: GatehouseOptions): Promise<RunningServer & { internalUrl: string; databaseUrl: string }> {
  const db = o.databaseUrl ? { url: o.databaseUrl, drop: async () => undefined } : await createDatabase(o.label);
  const port = await freePort();
  const internalPort = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child = spawnTs('src/main.ts', {
    DATABASE_URL: db.url,
    PORT: String(port),
    INTERNAL_PORT: String(internalPort),
    ISSUER: url,
    SECRET_PEPPER: BENCH_PEPPER,
    LOG_LEVEL: 'warn',
    CODE_TTL: String(BENCH_CODE_TTL),
    ...(o.poolSize ? { DB_POOL_SIZE: String(o.poolSize) } : {}),
    ...o.env,
  }, o.nodeArgs);
  child.stdout!.pipe(process.stderr);
  const stop = stopper(child);
  try {
    await waitFor(async () => (await fetch(`${url}/health/ready`)).status === 200, child, `Gatehouse (${o.label})`);
  } catch (err) {
    await stop();
    await db.drop();
    throw err;
  }
  return {
    name: `gatehouse-${o.label}`, url, internalUrl: `http://127.0.0.1:${internalPort}`, databaseUrl: db.url, pid: child.pid!,
    async stop() {
      await stop();
      await db.drop();
    },
  };
}

/** Stock oidc-provider (bench/baseline-server.ts). */
export async function startBaseline(nodeArgs: string[] = []): Promise<RunningServer> {
  const port = await freePort();
  const child = spawnTs('bench/baseline-server.ts', { PORT: String(port), CODE_TTL: String(BENCH_CODE_TTL) }, nodeArgs);
  let ready = false;
  child.stdout!.on('data', (chunk: Buffer) => {
    if (chunk.toString().includes('"ready":true')) ready = true;
  });
  const stop = stopper(child);
  try {
    await waitFor(async () => ready, child, 'baseline oidc-provider');
  } catch (err) {
    await stop();
    throw err;
  }
  return { name: 'baseline', url: `http://127.0.0.1:${port}`, pid: child.pid!, stop };
}
