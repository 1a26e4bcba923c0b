// The DataSource: PostgreSQL from DATABASE_URL, or an embedded PGlite under DATA_DIR (CONTRACT §1).
import 'reflect-metadata';
import fs from 'node:fs';
import path from 'node:path';
import type { Pool } from 'pg';
import { DataSource } from 'typeorm';
import { ENTITIES } from '../entities/index.js';
import { MIGRATIONS } from '../migrations/index.js';
import { type Config, ConfigError } from './config.js';

export interface Database {
  dataSource: DataSource;
  /** The pg pool under TypeORM, for the hot paths that want prepared statements and no ORM overhead. */
  pool: Pool;
  embedded: boolean;
  close(): Promise<void>;
}

// Any fixed number shared by every instance: serialises migrations when several start at once.
const MIGRATION_LOCK = 7_302_858_605;

export async function openDatabase(config: Config): Promise<Database> {
  if (config.databaseUrl) {
    const dataSource = newDataSource({ url: config.databaseUrl, poolSize: config.dbPoolSize });
    try {
      await dataSource.initialize();
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new ConfigError([`DATABASE_URL: cannot connect (${e.code ?? e.message})`]);
    }
    return { dataSource, pool: poolOf(dataSource), embedded: false, close: () => dataSource.destroy() };
  }
  return openEmbedded(config);
}

function newDataSource(options: { url?: string; host?: string; poolSize: number; extra?: Record<string, unknown> }): DataSource {
  return new DataSource({
    type: 'postgres',
    ...(options.url ? { url: options.url } : { host: options.host, username: 'postgres', database: 'postgres' }),
    entities: ENTITIES,
    migrations: MIGRATIONS,
    migrationsTransactionMode: 'all',
    poolSize: options.poolSize,
    logging: false,
    extra: { max: options.poolSize, application_name: 'gatehouse', ...options.extra },
  });
}

function poolOf(dataSource: DataSource): Pool {
  return (dataSource.driver as unknown as { master: Pool }).master;
}

/** Applies pending migrations; a PostgreSQL advisory lock lets several instances start at once. */
export async function migrate(db: Database): Promise<void> {
  if (db.embedded) {
    await db.dataSource.runMigrations({ transaction: 'all' });
    return;
  }
  const client = await db.pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await db.dataSource.runMigrations({ transaction: 'all' });
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    client.release();
  }
}

/** Ready = the database answers and no migration is pending. */
export async function isReady(db: Database): Promise<boolean> {
  try {
    return !(await db.dataSource.showMigrations());
  } catch {
    return false;
  }
}

// --- embedded PostgreSQL -------------------------------------------------------------------------

async function openEmbedded(config: Config): Promise<Database> {
  const dataDir = path.resolve(config.dataDir);
  fs.mkdirSync(dataDir, { recursive: true });
  const releaseLock = takeLock(path.join(dataDir, 'gatehouse.lock'));
  try {
    const { PGlite } = await import('@electric-sql/pglite');
    const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
    const { pg_trgm } = await import('@electric-sql/pglite/contrib/pg_trgm');
    // pg_trgm: the index behind GET /api/users?email= (migrations/1732800000000-Users.ts), as on PostgreSQL.
    const pglite = await PGlite.create(path.join(dataDir, 'pg'), { extensions: { pg_trgm } });
    // A private unix socket in DATA_DIR; pg expects the directory as host and the .s.PGSQL.<port> name.
    const socketDir = path.join(dataDir, 'run');
    fs.mkdirSync(socketDir, { recursive: true });
    const socketPath = path.join(socketDir, '.s.PGSQL.5432');
    fs.rmSync(socketPath, { force: true });
    // Room for two: when pg replaces its one connection, the new one may arrive before the old one's close is
    // processed, and a full server would turn it away ("Too many connections"). The pool still uses one at a time.
    const server = new PGLiteSocketServer({ db: pglite, path: socketPath, maxConnections: 2 });
    await server.start();
    // One connection: pglite-socket runs one backend, so a second connection would only wait (FINDINGS). It is
    // kept open however long it idles (pg closes idle clients after 10 s by default): nothing to gain by closing it.
    const dataSource = newDataSource({ host: socketDir, poolSize: 1, extra: { idleTimeoutMillis: 0 } });
    await dataSource.initialize();
    const pool = poolOf(dataSource);
    freshSessionPerConnection(pool);
    return {
      dataSource,
      pool,
      embedded: true,
      async close() {
        await dataSource.destroy();
        await server.stop();
        await pglite.close();
        releaseLock();
      },
    };
  } catch (err) {
    releaseLock();
    throw err;
  }
}

/**
 * pglite-socket serves every connection from the one backend session PGlite has, so what a closed connection left
 * in that session (named prepared statements above all, also settings and advisory locks) would greet the next one:
 * pg prepares its statements again on a new connection and PostgreSQL answers "prepared statement already exists".
 * A new connection to real PostgreSQL starts a new session; here it starts with ROLLBACK (of whatever a connection
 * that died mid-transaction left open) and DISCARD ALL, which together are the same thing. pg runs queries issued
 * in the pool's 'connect' event before any query of the client's first user.
 */
function freshSessionPerConnection(pool: Pool): void {
  pool.on('connect', (client) => {
    // Failures surface in the client's next query; an unhandled rejection here would end the process.
    client.query('ROLLBACK').catch(() => undefined);
    client.query('DISCARD ALL').catch(() => undefined);
  });
}

export class DataDirLocked extends Error {}

/** PGlite has no lock between processes: a second one would silently lose writes (FINDINGS). */
function takeLock(lockPath: string): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = fs.openSync(lockPath, 'wx');
      fs.writeSync(fd, String(process.pid));
      fs.closeSync(fd);
      const release = () => fs.rmSync(lockPath, { force: true });
      process.once('exit', release);
      return release;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const pid = Number(fs.readFileSync(lockPath, 'utf8'));
      if (pid && pid !== process.pid && isAlive(pid)) {
        throw new DataDirLocked(
          `DATA_DIR: ${path.dirname(lockPath)} is in use by another Gatehouse process (pid ${pid}); the embedded database serves one process, set DATABASE_URL to run several`,
        );
      }
      fs.rmSync(lockPath, { force: true }); // stale lock of a process that died
    }
  }
  throw new DataDirLocked(`DATA_DIR: could not lock ${lockPath}`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
