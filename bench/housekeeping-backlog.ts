// Housekeeping under load (issue 12, CONTRACT §1 "housekeeping"): a backlog of 1,000,000 expired rows is cleared by
// one instance while another serves client_credentials. Two Gatehouse instances (src/main.ts) on one fresh database:
//   A serves the load and never runs housekeeping in the window (HOUSEKEEPING_INTERVAL_SECONDS=3600);
//   B runs housekeeping every second (HOUSEKEEPING_INTERVAL_SECONDS=1) and serves nothing.
// Each trial (BENCH_TRIALS, default 3) runs three load rounds of autocannon (bench/load.ts, a separate process) against
// A: "before" (no backlog); then the backlog is inserted, already expired, while this process holds housekeeping's
// advisory lock (so B skips its ticks, as any instance does while another one runs); "during", in which the lock is
// let go 2 s in and B clears the backlog; "after". This process looks every 0.5 s whether any of the backlog is left
// (clearance time: from letting the lock go to the first look that finds none, B's wait for its tick included) and
// scrapes A's and B's /metrics halfway through "during".
//   npx tsx bench/housekeeping-backlog.ts      BENCH_BACKLOG (default 1000000), BENCH_ROUND_SECONDS (15), BENCH_TRIALS (3),
//                                              BENCH_CONNECTIONS (10), BENCH_BATCH (HOUSEKEEPING_BATCH_SIZE, 5000)
import { type ChildProcess, fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { LoadJob, LoadResult } from './load.js';
import { HOUSEKEEPING_LOCK } from '../src/domain/housekeeping.js';
import { ROOT, startGatehouse } from './servers.js';

const BACKLOG = Number(process.env.BENCH_BACKLOG ?? 1_000_000);
const ROUND_SECONDS = Number(process.env.BENCH_ROUND_SECONDS ?? 15);
const TRIALS = Number(process.env.BENCH_TRIALS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const BATCH = process.env.BENCH_BATCH ?? '5000';
const RELEASE_INTO_ROUND_S = 2;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function json(url: string, method: string, body: unknown) {
  const res = await fetch(url, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (res.status >= 300) throw new Error(`${method} ${url} → ${res.status} ${await res.text()}`);
  return (await res.json() as { data: Record<string, string> }).data;
}

function loadRunner(): { run(job: LoadJob): Promise<LoadResult>; stop(): void } {
  const child: ChildProcess = fork(path.join(ROOT, 'bench/load.ts'), [], { execArgv: ['--import', 'tsx'], cwd: ROOT });
  return {
    run: (job) => new Promise((resolve, reject) => {
      child.once('message', (msg: { ok: boolean; result?: LoadResult; error?: string }) => (msg.ok ? resolve(msg.result!) : reject(new Error(msg.error))));
      child.send(job);
    }),
    stop: () => child.kill(),
  };
}

/** Family names (# TYPE lines) and a few values of interest from a /metrics scrape. */
async function scrape(internalUrl: string): Promise<{ families: string[]; values: Record<string, number> }> {
  const text = await (await fetch(`${internalUrl}/metrics`)).text();
  const families = [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => `${m[1]} (${m[2]})`);
  const values: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const m = /^(gatehouse_(?:tokens_issued_total|token_errors_total|housekeeping_deleted_total|db_pool_connections|print_jobs|http_requests_total)\{[^}]*\}) (\S+)$/.exec(line);
    if (m && (!m[1].startsWith('gatehouse_http_requests_total') || m[1].includes('route="/token"'))) values[m[1]] = Number(m[2]);
  }
  return { families, values };
}

async function main(): Promise<void> {
  const a = await startGatehouse({ label: 'hk_a', env: { HOUSEKEEPING_INTERVAL_SECONDS: '3600' } });
  const b = await startGatehouse({ label: 'hk_b', databaseUrl: a.databaseUrl, env: { HOUSEKEEPING_INTERVAL_SECONDS: '1', HOUSEKEEPING_BATCH_SIZE: BATCH } });
  const db = new pg.Client({ connectionString: a.databaseUrl });
  await db.connect();
  const load = loadRunner();
  try {
    const service = await json(`${a.internalUrl}/internal/clients`, 'POST', { id: 'bench_hk_service', name: 'Bench', client_type: 'INTEGRATION', permissions: ['service:read'] });
    const self = await json(`${a.internalUrl}/internal/clients/${service.id}/connections`, 'PUT', { consumer_id: service.id });
    const job = (duration: number): LoadJob => ({
      url: a.url, method: 'POST', path: '/token', connections: CONNECTIONS, duration, expectStatus: 200, expectBody: 'access_token',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${service.id}:${self.secret}`).toString('base64')}` },
      body: 'grant_type=client_credentials&scope=service%3Aread',
    });
    console.error('warm-up (5 s)');
    await load.run(job(5));

    interface Trial { before: LoadResult; during: LoadResult; after: LoadResult; insertSeconds: number; clearance?: number; load: string[] }
    const trials: Trial[] = [];
    let scrapeA: Awaited<ReturnType<typeof scrape>> | undefined;
    let scrapeB: Awaited<ReturnType<typeof scrape>> | undefined;
    for (let t = 1; t <= TRIALS; t++) {
      const loadAvg: string[] = [];
      console.error(`trial ${t}: round "before" (${ROUND_SECONDS} s, no backlog)`);
      const before = await load.run(job(ROUND_SECONDS));
      loadAvg.push(fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);

      // The backlog, expired, inserted while housekeeping is held off by its own lock.
      const locker = new pg.Client({ connectionString: a.databaseUrl });
      await locker.connect();
      await locker.query('SELECT pg_advisory_lock($1)', [HOUSEKEEPING_LOCK]);
      const insertStarted = Date.now();
      await db.query(
        `INSERT INTO oidc_payloads (model, id, payload, grant_id, client_id, expires_at)
         SELECT (ARRAY['AccessToken','AuthorizationCode','RefreshToken','Session','Interaction','Grant','ClientCredentials'])[1 + g % 7],
                'backlog-' || g, '{"kind":"bench backlog row","accountId":"00000000-0000-0000-0000-000000000000"}', 'grant-' || (g / 10), 'bench',
                now() - interval '1 minute'
           FROM generate_series(1, $1) g`, [BACKLOG],
      );
      const insertSeconds = (Date.now() - insertStarted) / 1000;
      await db.query('VACUUM ANALYZE oidc_payloads');
      await db.query('CHECKPOINT').catch(() => undefined);
      console.error(`trial ${t}: inserted ${BACKLOG} rows in ${insertSeconds.toFixed(1)} s`);


      console.error(`trial ${t}: round "during" (${ROUND_SECONDS} s, instance B let loose after ${RELEASE_INTO_ROUND_S} s)`);
      let released = 0;
      let cleared: number | undefined;
      let watching = true;
      const counter = new pg.Client({ connectionString: a.databaseUrl });
      await counter.connect();
      const watch = (async () => {
        while (watching && cleared === undefined) {
          // A cheap look (no count of a million rows while the load runs): is any row of the backlog left?
          const { rowCount } = await counter.query(`SELECT 1 FROM oidc_payloads WHERE client_id = 'bench' LIMIT 1`);
          if (rowCount === 0) cleared = Date.now();
          await sleep(500);
        }
      })();
      const release = sleep(RELEASE_INTO_ROUND_S * 1000).then(async () => {
        await locker.query('SELECT pg_advisory_unlock($1)', [HOUSEKEEPING_LOCK]);
        released = Date.now();
        await locker.end();
      });
      const scrapeDuring = sleep(ROUND_SECONDS * 500).then(() => Promise.all([scrape(a.internalUrl), scrape(b.internalUrl)]));
      const during = await load.run(job(ROUND_SECONDS));
      [scrapeA, scrapeB] = await scrapeDuring;
      loadAvg.push(fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
      await release;
      // The backlog may outlast the round: wait for it (without load) to report the clearance time.
      for (let i = 0; i < 600 && cleared === undefined; i++) await sleep(500);
      watching = false;
      await watch;
      await counter.end();
      await db.query('VACUUM ANALYZE oidc_payloads');

      console.error(`trial ${t}: round "after" (${ROUND_SECONDS} s)`);
      const after = await load.run(job(ROUND_SECONDS));
      loadAvg.push(fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
      trials.push({ before, during, after, insertSeconds, clearance: cleared ? (cleared - released) / 1000 : undefined, load: loadAvg });
    }
    const afterB = await scrape(b.internalUrl);

    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];
    const cell = (r: LoadResult) => `${Math.round(r.rps)} / ${r.p99}`;
    const report = [
      `Housekeeping backlog under load (${new Date().toISOString()}): ${BACKLOG} expired rows per trial, batches of ${BATCH}, `
        + `client_credentials at ${CONNECTIONS} connections, ${ROUND_SECONDS} s rounds against instance A; instance B clears, `
        + `let loose ${RELEASE_INTO_ROUND_S} s into the "during" round. req/s / p99 ms:`,
      '',
      '| trial | before | during clearance | after | cleared in s | errors | load average (before, during, after) |',
      '|---|---:|---:|---:|---:|---:|---|',
      ...trials.map((r, i) => `| ${i + 1} | ${cell(r.before)} | ${cell(r.during)} | ${cell(r.after)} | ${r.clearance?.toFixed(1) ?? 'not cleared'} | `
        + `${r.before.errors + r.during.errors + r.after.errors} | ${r.load.join(', ')} |`),
      `| median | ${Math.round(median(trials.map((r) => r.before.rps)))} / ${median(trials.map((r) => r.before.p99))} `
        + `| ${Math.round(median(trials.map((r) => r.during.rps)))} / ${median(trials.map((r) => r.during.p99))} `
        + `| ${Math.round(median(trials.map((r) => r.after.rps)))} / ${median(trials.map((r) => r.after.p99))} `
        + `| ${median(trials.map((r) => r.clearance ?? Infinity)).toFixed(1)} | | |`,
      '',
      `inserting each backlog took ${trials.map((r) => r.insertSeconds.toFixed(1)).join(', ')} s (housekeeping held off by its lock meanwhile); `
        + 'cleared = from letting the lock go to the first look that finds none left (B looks every 1 s; polled every 0.5 s)',
      `B's gatehouse_housekeeping_deleted_total: ${JSON.stringify(Object.fromEntries(Object.entries(afterB.values).filter(([k]) => k.includes('housekeeping'))))}`,
      '',
      `metric families scraped from A during the last "during" round (${scrapeA!.families.length}):`,
      ...scrapeA!.families.map((f) => `  ${f}`),
      '',
      'selected values from A then:',
      ...Object.entries(scrapeA!.values).map(([k, v]) => `  ${k} ${v}`),
      `B's pool then: ${JSON.stringify(Object.fromEntries(Object.entries(scrapeB!.values).filter(([k]) => k.includes('pool'))))}`,
    ].join('\n');
    console.log(report);
    fs.mkdirSync(path.join(ROOT, 'bench/results'), { recursive: true });
    fs.writeFileSync(path.join(ROOT, 'bench/results/housekeeping-backlog.txt'), `${report}\n`);
  } finally {
    load.stop();
    await db.end();
    await b.stop();
    await a.stop();
  }
}

main().then(() => process.exit(0), (err) => {
  console.error(err);
  process.exit(1);
});
