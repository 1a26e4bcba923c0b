// `npm run bench [-- --scale] [--rounds N] [--duration S] [--connections C] [--codes N] [--only a,b] [--cpu-prof]`
// Gatehouse (PostgreSQL, every model persisted) against stock oidc-provider (one static client, memory storage),
// A/B/A/B rounds of autocannon from a second process; the table goes to stdout, the figures to bench/results/.
import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { mintCodesOverGrants, mintRefreshTokens } from './flows.js';
import type { LoadJob, LoadResult } from './load.js';
import { type ScenarioResult, type Side, pairRatio, table, writeResults } from './report.js';
import { type Minted, type RoundShape, type Scenario, SCENARIOS } from './scenarios.js';
import { type Target, explainLookups, seedBaseline, seedGatehouse, seedScale } from './seed.js';
import { ROOT, type RunningServer, startBaseline, startGatehouse } from './servers.js';

const { values: args } = parseArgs({
  options: {
    scale: { type: 'boolean', default: false },
    rounds: { type: 'string', default: '3' },
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '10' },
    codes: { type: 'string', default: '2000' },
    only: { type: 'string' },
    pool: { type: 'string' },
    'cpu-prof': { type: 'boolean', default: false },
  },
});
const ROUNDS = Number(args.rounds);
const SHAPE: RoundShape = { connections: Number(args.connections), duration: Number(args.duration), codes: Number(args.codes) };
const WARMUP: RoundShape = { ...SHAPE, duration: 1, codes: 300 };
const only = args.only?.split(',');
const selected = SCENARIOS.filter((s) => !only || only.includes(s.name));
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

/** The load generator, a second process. */
function startLoader() {
  const child: ChildProcess = fork(path.join(ROOT, 'bench/load.ts'), [], { execArgv: ['--import', 'tsx'], cwd: ROOT });
  let pending: { resolve(r: LoadResult): void; reject(e: Error): void } | undefined;
  child.on('message', (m: { ok: boolean; result?: LoadResult; error?: string }) => {
    const p = pending;
    pending = undefined;
    if (m.ok) p?.resolve(m.result!);
    else p?.reject(new Error(m.error));
  });
  child.on('exit', (code) => pending?.reject(new Error(`the load generator exited (${code})`)));
  return {
    run(job: LoadJob): Promise<LoadResult> {
      return new Promise((resolve, reject) => {
        pending = { resolve, reject };
        child.send(job);
      });
    },
    stop: () => child.kill('SIGTERM'),
  };
}
const loader = startLoader();

interface Arm {
  label: string;
  target: Target;
  minted: Minted;
}

/** Codes and refresh tokens through real flows: one sign-in and consent, then /auth again and again. */
async function mint(target: Target, codeRounds: number): Promise<Minted> {
  if (!selected.some((s) => s.name === 'code_exchange' || s.name === 'refresh')) return { codes: [], refreshTokens: [] };
  const started = Date.now();
  const perRound = SHAPE.codes + 128;
  const codes = await mintCodesOverGrants(target.flow, codeRounds * perRound + WARMUP.codes + 128);
  // A round that ends by time loses the chains in flight (the old token is used, the new one never read).
  const refreshTokens = await mintRefreshTokens(target.flow, (ROUNDS + 2) * SHAPE.connections);
  log(`${target.server.name}: minted ${codes.length} codes and ${refreshTokens.length} refresh tokens in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { codes, refreshTokens };
}

async function round(s: Scenario, arm: Arm, shape: RoundShape): Promise<LoadResult | undefined> {
  const job = s.job(arm.target, arm.minted, shape);
  if (!job) return undefined;
  const result = await loader.run({ ...job, connections: shape.connections, duration: shape.duration });
  if (s.after && result.items) s.after(arm.minted, result.items);
  if (result.errors) log(`${s.name} on ${arm.label}: ${result.errors} errors, e.g. ${result.sampleError}`);
  return result;
}

/** Warm-up for each arm, then A/B/A/B… rounds; the ratio is the median of the per-pair ratios. */
async function compare(scenarios: Scenario[], a: Arm, b: Arm): Promise<ScenarioResult[]> {
  const results: ScenarioResult[] = [];
  for (const s of scenarios) {
    const result: ScenarioResult = { name: s.name, what: s.what, target: s.target, a: { label: a.label, rounds: [] } };
    const probe = s.job(a.target, { codes: [], refreshTokens: [] }, SHAPE);
    if (probe && probe.method === 'GET') {
      const res = await fetch(`${probe.url}${probe.path}`, { headers: probe.headers, redirect: 'manual' });
      if (res.status === 404) {
        result.pending = `pending: ${probe.path.replace(/[0-9a-f-]{36}/, '{id}')} answers 404 (route not built yet)`;
        log(`${s.name}: ${result.pending}`);
        results.push(result);
        continue;
      }
    }
    log(`${s.name}: warm-up`);
    await round(s, a, WARMUP);
    const hasB = (await round(s, b, WARMUP)) !== undefined;
    const sideB: Side = { label: b.label, rounds: [] };
    for (let i = 0; i < ROUNDS; i++) {
      result.a.rounds.push((await round(s, a, SHAPE))!);
      if (hasB) sideB.rounds.push((await round(s, b, SHAPE))!);
      const last = result.a.rounds[i];
      log(`${s.name} round ${i + 1}: ${a.label} ${last.rps.toFixed(0)} req/s${hasB ? `, ${b.label} ${sideB.rounds[i].rps.toFixed(0)} req/s` : ''}`);
    }
    if (hasB) {
      result.b = sideB;
      result.ratio = pairRatio(result.a, sideB);
    }
    results.push(result);
  }
  return results;
}

const servers: RunningServer[] = [];
async function stopAll(): Promise<void> {
  loader.stop();
  for (const s of servers.splice(0).reverse()) await s.stop().catch((err) => log(`stopping ${s.name}: ${err}`));
}
// Ctrl-C still stops the servers and drops the run's databases.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void stopAll().finally(() => process.exit(130)));
}

async function main(): Promise<void> {
  const nodeArgs = args['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${path.join(ROOT, 'bench/results/profiles')}`] : [];
  const poolSize = args.pool ? Number(args.pool) : undefined;
  try {
    log('starting Gatehouse and the baseline');
    const gh = await startGatehouse({ label: 'small', poolSize, nodeArgs });
    servers.push(gh);
    const base = await startBaseline(nodeArgs);
    servers.push(base);
    const ghTarget = await seedGatehouse(gh);
    const baseTarget = await seedBaseline(base);
    const codeRounds = ROUNDS * (args.scale ? 2 : 1) + (args.scale ? 1 : 0);
    const ghArm: Arm = { label: 'Gatehouse', target: ghTarget, minted: await mint(ghTarget, codeRounds) };
    const baseArm: Arm = { label: 'baseline', target: baseTarget, minted: await mint(baseTarget, ROUNDS) };

    const results = await compare(selected, ghArm, baseArm);
    const heads: [string, string] = ['Gatehouse', 'oidc-provider'];
    const report: Record<string, unknown> = {
      options: { rounds: ROUNDS, ...SHAPE, poolSize: poolSize ?? 10 }, baseline: results,
    };
    process.stdout.write(`\nGatehouse vs stock oidc-provider (${ROUNDS} A/B pairs, ${SHAPE.duration} s, ${SHAPE.connections} connections; ratio = Gatehouse/baseline)\n\n${table(results, heads, 'baseline')}\n`);

    if (args.scale) {
      log('scale run: a second Gatehouse with 100,000 clients and 1,000,000 connections');
      const big = await startGatehouse({ label: 'scale', poolSize, nodeArgs });
      servers.push(big);
      const bigTarget = await seedGatehouse(big);
      const started = Date.now();
      const counts = await seedScale(big.databaseUrl!);
      log(`scale data: ${counts.clients} clients, ${counts.connections} connections in ${((Date.now() - started) / 1000).toFixed(1)} s`);
      const plans = await explainLookups(big.databaseUrl!, bigTarget.bigClient!.id, bigTarget.bigClient!.redirectUri);
      log(`EXPLAIN ANALYZE on the scale database:\n${plans.join('\n\n')}`);
      const bigArm: Arm = { label: 'scale', target: bigTarget, minted: await mint(bigTarget, ROUNDS) };
      const scaleResults = await compare(selected.filter((s) => s.scale), bigArm, { ...ghArm, label: 'small' });
      report.scale = { counts, plans, results: scaleResults };
      process.stdout.write(`\nScale run: ${counts.clients} clients, ${counts.connections} connections vs the small database (ratio = scale/small)\n\n${table(scaleResults, ['scale DB', 'small DB'], 'scale')}\n`);
    }
    process.stdout.write(`\nwritten to ${writeResults(report)}\n`);
  } finally {
    await stopAll();
  }
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exitCode = 1;
});
