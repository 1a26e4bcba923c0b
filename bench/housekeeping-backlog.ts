// Housekeeping under load (issue 12, CONTRACT §1 "housekeeping"): a backlog of 1,000,000 expired rows is cleared by
// one instance while another serves client_credentials. Two Gatehouse instances (src/main.ts) on one fresh database:
//   A serves the load and never runs housekeeping in the window (HOUSEKEEPING_INTERVAL_SECONDS=3600);
//   B runs housekeeping every second (HOUSEKEEPING_INTERVAL_SECONDS=1) and serves nothing.
// Clearance time: from the moment the rows expire to the first look that finds none left.
// Three load rounds of autocannon (bench/load.ts, a separate process) against A, in one run: before the backlog,
// while B clears it (the rows are inserted live and expire 3 s into the round), and after. Meanwhile this process
// looks every 0.5 s whether any of the backlog is left and scrapes A's and B's /metrics.
//   npx tsx bench/housekeeping-backlog.ts      BENCH_BACKLOG (default 1000000), BENCH_ROUND_SECONDS (30),
//                                              BENCH_CONNECTIONS (10), BENCH_BATCH (HOUSEKEEPING_BATCH_SIZE, 5000)
import { type ChildProcess, fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import pg from 'pg';
import type { LoadJob, LoadResult } from './load.js';
import { ROOT, startGatehouse } from './servers.js';

const BACKLOG = Number(process.env.BENCH_BACKLOG ?? 1_000_000);
const ROUND_SECONDS = Number(process.env.BENCH_ROUND_SECONDS ?? 30);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const BATCH = process.env.BENCH_BATCH ?? '5000';
const EXPIRES_INTO_ROUND_S = 3;

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
    console.error(`round 1: ${ROUND_SECONDS} s without a backlog`);
    const before = await load.run(job(ROUND_SECONDS));

    // The backlog: live when inserted, expiring all at once a few seconds into the next round.
    const insertStarted = Date.now();
    await db.query(
      `INSERT INTO oidc_payloads (model, id, payload, grant_id, client_id, expires_at)
       SELECT (ARRAY['AccessToken','AuthorizationCode','RefreshToken','Session','Interaction','Grant','ClientCredentials'])[1 + g % 7],
              'backlog-' || g, '{"kind":"bench backlog row","accountId":"00000000-0000-0000-0000-000000000000"}', 'grant-' || (g / 10), 'bench',
              now() + interval '10 minutes'
         FROM generate_series(1, $1) g`, [BACKLOG],
    );
    const insertSeconds = (Date.now() - insertStarted) / 1000;
    console.error(`inserted ${BACKLOG} rows in ${insertSeconds.toFixed(1)} s`);
    await db.query('VACUUM ANALYZE oidc_payloads');
    await db.query('CHECKPOINT').catch(() => undefined);
    // The insert's duration is not known beforehand: the moment of expiry, 3 s into the round, is set after it.
    const { rows: [{ at }] } = await db.query<{ at: Date }>(`SELECT now() + make_interval(secs => $1) AS at`, [EXPIRES_INTO_ROUND_S + 2]);
    await db.query(`UPDATE oidc_payloads SET expires_at = $1 WHERE client_id = 'bench' AND id LIKE 'backlog-%'`, [at]);
    await db.query('VACUUM ANALYZE oidc_payloads');
    const wait = new Date(at).getTime() - Date.now() - EXPIRES_INTO_ROUND_S * 1000;
    if (wait > 0) await sleep(wait);

    console.error(`round 2: ${ROUND_SECONDS} s while instance B clears the backlog`);
    const expiredAt = new Date(at).getTime();
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
    const roundStarted = Date.now();
    const scrapeDuring = sleep(ROUND_SECONDS * 500).then(() => Promise.all([scrape(a.internalUrl), scrape(b.internalUrl)]));
    const during = await load.run(job(ROUND_SECONDS));
    const [scrapeA, scrapeB] = await scrapeDuring;
    // The backlog may outlast the round: wait for it (without load) to report the clearance time.
    for (let i = 0; i < 600 && cleared === undefined; i++) await sleep(500);
    watching = false;
    await watch;
    await counter.end();

    console.error(`round 3: ${ROUND_SECONDS} s after`);
    const after = await load.run(job(ROUND_SECONDS));
    const afterB = await scrape(b.internalUrl);

    const row = (name: string, r: LoadResult) => `| ${name} | ${Math.round(r.rps)} | ${r.p50} | ${r.p99} | ${r.errors} |`;
    const clearance = cleared ? (cleared - expiredAt) / 1000 : undefined;
    const report = [
      `Housekeeping backlog under load (${new Date().toISOString()}): ${BACKLOG} expired rows, batches of ${BATCH}, `
        + `client_credentials at ${CONNECTIONS} connections, ${ROUND_SECONDS} s rounds against instance A; instance B clears.`,
      '',
      '| round | req/s | p50 ms | p99 ms | errors |',
      '|---|---:|---:|---:|---:|',
      row('before (no backlog)', before),
      row('during clearance', during),
      row('after', after),
      '',
      `backlog inserted in ${insertSeconds.toFixed(1)} s; it expired ${((expiredAt - roundStarted) / 1000).toFixed(1)} s into round 2 and was `
        + `cleared ${clearance?.toFixed(1) ?? '(not within the wait)'} s after it expired (B looks every 1 s; polled every 0.5 s)`,
      `B's gatehouse_housekeeping_deleted_total: ${JSON.stringify(Object.fromEntries(Object.entries(afterB.values).filter(([k]) => k.includes('housekeeping'))))}`,
      '',
      `metric families scraped from A during round 2 (${scrapeA.families.length}):`,
      ...scrapeA.families.map((f) => `  ${f}`),
      '',
      'selected values from A during round 2:',
      ...Object.entries(scrapeA.values).map(([k, v]) => `  ${k} ${v}`),
      `B's pool during round 2: ${JSON.stringify(Object.fromEntries(Object.entries(scrapeB.values).filter(([k]) => k.includes('pool'))))}`,
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
