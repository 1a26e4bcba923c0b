// Where the CPU goes under load: CPU seconds per 1,000 requests of the server process, of PostgreSQL's
// processes and of the load generator, for Gatehouse and stock oidc-provider, one scenario at a time.
// `npx tsx bench/cpu-split.ts [client_credentials,introspection,…] [seconds]`
import fs from 'node:fs';
import autocannon from 'autocannon';
import { SCENARIOS } from './scenarios.js';
import { seedBaseline, seedGatehouse, type Target } from './seed.js';
import pg from 'pg';
import { PG_ADMIN_URL, startBaseline, startGatehouse } from './servers.js';

const wanted = (process.argv[2] ?? 'client_credentials,introspection').split(',');
const seconds = Number(process.argv[3] ?? 6);
const TICK = 100; // USER_HZ

function ticks(pid: number): number {
  try {
    const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0;
  }
}
/** CPU of the PostgreSQL backends serving `database` only (other databases on the machine do not count). */
async function postgresTicks(database: string | undefined): Promise<number> {
  if (!database) return 0;
  const { rows } = await admin.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1', [database]);
  return rows.reduce((sum, r) => sum + ticks(r.pid), 0);
}

async function measure(label: string, target: Target, pid: number, database?: string) {
  for (const s of SCENARIOS.filter((x) => wanted.includes(x.name))) {
    const job = s.job(target, { codes: [], refreshTokens: [] }, { connections: 10, duration: seconds, codes: 0 })!;
    const before = { server: ticks(pid), pg: await postgresTicks(database), self: process.cpuUsage() };
    const r = await autocannon({
      url: job.url, connections: 10, duration: seconds,
      requests: [{ method: job.method, path: job.path, headers: job.headers, body: job.body }],
    });
    const self = process.cpuUsage(before.self);
    const n = r.requests.total / 1000;
    const server = (ticks(pid) - before.server) / TICK / n;
    const pgs = ((await postgresTicks(database)) - before.pg) / TICK / n;
    const load = (self.user + self.system) / 1e6 / n;
    console.log(`${label.padEnd(10)} ${s.name.padEnd(20)} ${Math.round(r.requests.average)} req/s  CPU s per 1k requests: server ${server.toFixed(3)}  postgres ${pgs.toFixed(3)}  load ${load.toFixed(3)}  non2xx ${r.non2xx}`);
  }
}

const admin = new pg.Client({ connectionString: PG_ADMIN_URL });
await admin.connect();
const gh = await startGatehouse({ label: 'cpu' });
const base = await startBaseline();
const database = new URL(gh.databaseUrl).pathname.slice(1);
try {
  const [gt, bt] = [await seedGatehouse(gh), await seedBaseline(base)];
  await measure('warm-up', gt, gh.pid, database);
  await measure('gatehouse', gt, gh.pid, database);
  await measure('baseline', bt, base.pid);
} finally {
  await admin.end();
  await gh.stop();
  await base.stop();
}
