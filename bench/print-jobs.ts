// Print jobs (CONTRACT §9) end to end: 2 Gatehouse instances (src/main.ts, child processes) on one fresh database,
// 4 processes of one print service (bench/print-claimer.ts, 2 claiming through each instance, long polls of 30 s),
// and this process as the portal, submitting through both instances. Measures
//   1. throughput: BENCH_JOBS jobs submitted by BENCH_SUBMITTERS concurrent portal requests, jobs per second from the
//      first submit to the last printed report, with claims of 1 and of 10 jobs;
//   2. latency: one job at a time while every claimer is waiting, from sending the submit to the claimer holding the
//      document (p50, p99), split by whether the waiting claim was on the instance that took the submit or the other.
//   npx tsx bench/print-jobs.ts          BENCH_JOBS (default 2000), BENCH_SUBMITTERS (8), BENCH_LATENCY_JOBS (300)
import { type ChildProcess, fork } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { jsonRequest } from './http-json.js';
import { ROOT, type RunningServer, startGatehouse } from './servers.js';

const JOBS = Number(process.env.BENCH_JOBS ?? 2000);
const SUBMITTERS = Number(process.env.BENCH_SUBMITTERS ?? 8);
const LATENCY_JOBS = Number(process.env.BENCH_LATENCY_JOBS ?? 300);
const CLAIMERS = 4;
// A small one-page PDF's size; the figures are about the queue, not about moving megabytes.
const DOCUMENT = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(4000, 0x20), Buffer.from('\n%%EOF\n')]).toString('base64');

type Server = RunningServer & { internalUrl: string };

async function call(base: string, method: string, p: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${p}`, { method, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${method} ${p} → ${res.status} ${await res.text()}`);
  return res.json() as Promise<{ data: Record<string, unknown> & Array<Record<string, unknown>> }>;
}

async function token(server: Server, id: string, secret: string, scope: string): Promise<string> {
  const res = await fetch(`${server.url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope }),
  });
  const body = (await res.json()) as { access_token?: string };
  if (!body.access_token) throw new Error(`no token for ${id}: ${JSON.stringify(body)}`);
  return body.access_token;
}

/** A client with a self-connection, made through the internal API (CONTRACT §6) as an operator would. */
async function client(server: Server, type: string, permissions: string[], scope: string): Promise<string> {
  const { data } = await call(server.internalUrl, 'POST', '/internal/clients', { name: `Bench ${type}`, client_type: type, permissions });
  const { data: self } = await call(server.internalUrl, 'PUT', `/internal/clients/${data.id}/connections`, { consumer_id: data.id });
  return token(server, data.id as string, self.secret as string, scope);
}

/** An admin makes a print service whose 4 reported printers it assigns; a pharmacy portal may print. */
async function seed(server: Server) {
  const admin = { authorization: `Bearer ${await client(server, 'ADMIN', [], 'service:write printer:write')}` };
  const { data: service } = await call(server.url, 'POST', '/api/services',
    { client_id: 'bench_print_service', name: 'Bench print service', service_type: 'PRINT_SERVICE' }, admin);
  const serviceToken = await token(server, 'bench_print_service', service.client_secret as string, 'printer:report');
  const printers = Array.from({ length: 4 }, (_, i) => ({ system_name: `PRN_${i + 1}`, status: 'online' }));
  const { data: reported } = await call(server.url, 'PUT', '/api/print_service/printers', { printers }, { authorization: `Bearer ${serviceToken}` });
  const printerIds: string[] = [];
  for (const p of reported) {
    const { data } = await call(server.url, 'POST', '/api/services/bench_print_service/printers', { printer_id: p.id, name: p.system_name }, admin);
    printerIds.push(data.id as string);
  }
  return { serviceToken, portalToken: await client(server, 'PHARMACY', ['print:submit'], 'print:submit'), printerIds };
}

interface Claimer { child: ChildProcess; instance: number }

/** Starts the print service's processes, alternating between the instances, and resolves once each has started. */
async function startClaimers(servers: Server[], serviceToken: string, limit: number, events: (msg: ClaimerEvent, c: Claimer) => void): Promise<Claimer[]> {
  return Promise.all(Array.from({ length: CLAIMERS }, (_, i) => new Promise<Claimer>((resolve, reject) => {
    const instance = i % servers.length;
    const child = fork(path.join(ROOT, 'bench/print-claimer.ts'), [], {
      cwd: ROOT, execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      env: { ...process.env, CLAIM_URL: servers[instance].url, CLAIM_TOKEN: serviceToken, CLAIM_LIMIT: String(limit), CLAIM_WAIT: '30' },
    });
    const claimer = { child, instance };
    child.on('message', (msg: ClaimerEvent) => (msg.t === 'ready' ? resolve(claimer) : events(msg, claimer)));
    child.once('exit', (code) => code && reject(new Error(`claimer exited with ${code}`)));
  })));
}

type ClaimerEvent = { t: 'ready' } | { t: 'claimed'; ids: string[]; at: string } | { t: 'printed'; id: string; at: string };

function stopClaimers(claimers: Claimer[]): void {
  for (const { child } of claimers) child.kill('SIGTERM');
}

/** CPU time of a process so far, in ms (/proc: user + system ticks at USER_HZ 100): a figure the machine's other load does not skew. */
function cpuMs(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const now = () => process.hrtime.bigint();
const ms = (from: bigint, to: bigint) => Number(to - from) / 1e6;

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

async function submit(server: Server, portalToken: string, printerId: string, title: string): Promise<string> {
  const res = await jsonRequest(server.url, 'POST', '/api/print_jobs', { authorization: `Bearer ${portalToken}` },
    JSON.stringify({ printer_id: printerId, title, content_type: 'application/pdf', document: DOCUMENT }));
  if (res.status !== 201) throw new Error(`submit → ${res.status} ${res.text}`);
  return (JSON.parse(res.text) as { data: { id: string } }).data.id;
}

interface Row { scenario: string; jobs: number; jobsPerSecond: number | null; p50: number; p99: number; cpu?: string; note: string }

async function throughput(servers: Server[], s: Awaited<ReturnType<typeof seed>>, limit: number): Promise<Row> {
  const submitted = new Map<string, bigint>();
  const latencies: number[] = [];
  let printed = 0;
  let done!: () => void;
  const allPrinted = new Promise<void>((resolve) => (done = resolve));
  const claimers = await startClaimers(servers, s.serviceToken, limit, (msg) => {
    if (msg.t !== 'printed') return;
    latencies.push(ms(submitted.get(msg.id) ?? BigInt(msg.at), BigInt(msg.at)));
    if (++printed === JOBS) done();
  });
  await new Promise((r) => setTimeout(r, 1000)); // every claimer is waiting
  const cpu = (pids: number[]) => pids.reduce((sum, pid) => sum + cpuMs(pid), 0);
  const gatehousePids = servers.map((server) => server.pid);
  const claimerPids = claimers.map((c) => c.child.pid!);
  const cpuBefore = { gatehouse: cpu(gatehousePids), claimers: cpu(claimerPids) };
  const started = now();
  let next = 0;
  await Promise.all(Array.from({ length: SUBMITTERS }, async (_, k) => {
    while (next < JOBS) {
      const n = next++;
      const at = now();
      const id = await submit(servers[k % servers.length], s.portalToken, s.printerIds[n % s.printerIds.length], `Bench job ${n}`);
      submitted.set(id, at);
    }
  }));
  await allPrinted;
  const seconds = ms(started, now()) / 1000;
  const perJob = (pids: number[], before: number) => ((cpu(pids) - before) / JOBS).toFixed(1);
  const cpuText = `${perJob(gatehousePids, cpuBefore.gatehouse)} / ${perJob(claimerPids, cpuBefore.claimers)}`;
  stopClaimers(claimers);
  return {
    scenario: `submit → printed, claims of ${limit}`, jobs: JOBS, jobsPerSecond: Math.round(JOBS / seconds),
    p50: percentile(latencies, 50), p99: percentile(latencies, 99), cpu: cpuText,
    note: `${SUBMITTERS} concurrent submits; submit sent → printed reported`,
  };
}

async function latency(servers: Server[], s: Awaited<ReturnType<typeof seed>>): Promise<Row[]> {
  // One job in flight at a time, so the next claim any claimer reports is this job's.
  let claimed: (c: { id: string; at: bigint; instance: number }) => void = () => undefined;
  const claimers = await startClaimers(servers, s.serviceToken, 1, (msg, claimer) => {
    if (msg.t === 'claimed') claimed({ id: msg.ids[0], at: BigInt(msg.at), instance: claimer.instance });
  });
  const same: number[] = [];
  const other: number[] = [];
  const submits: number[] = [];
  await new Promise((r) => setTimeout(r, 1000)); // every claimer is waiting
  for (let n = 0; n < LATENCY_JOBS; n++) {
    const instance = n % servers.length;
    const next = new Promise<{ id: string; at: bigint; instance: number }>((resolve) => (claimed = resolve));
    const at = now();
    const submitted = submit(servers[instance], s.portalToken, s.printerIds[n % s.printerIds.length], `Latency ${n}`)
      .finally(() => submits.push(ms(at, now())));
    const [id, got] = await Promise.all([submitted, next]);
    if (got.id !== id) throw new Error(`claimed ${got.id} while ${id} was the only job`);
    (got.instance === instance ? same : other).push(ms(at, got.at));
    await new Promise((r) => setTimeout(r, 50)); // the claimer that took it reports it and waits again
  }
  stopClaimers(claimers);
  const all = [...same, ...other];
  const row = (scenario: string, values: number[], note: string): Row =>
    ({ scenario, jobs: values.length, jobsPerSecond: null, p50: percentile(values, 50), p99: percentile(values, 99), note });
  return [
    row('submit → claim, 4 claims waiting', all, 'one job at a time; submit sent → claimer holds the document'),
    row('… the submit request alone', submits, 'submit sent → its 201 received'),
    row('… the claim that got it waited on the instance that took the submit', same, ''),
    row('… the claim that got it waited on the other instance', other, 'woken through PostgreSQL NOTIFY'),
  ];
}

function table(rows: Row[]): string {
  const lines = [
    '| scenario | jobs | jobs/s | p50 ms | p99 ms | CPU ms per job: Gatehouse (both) / print service | how |',
    '|---|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of rows) {
    lines.push(`| ${r.scenario} | ${r.jobs} | ${r.jobsPerSecond ?? '–'} | ${r.p50.toFixed(1)} | ${r.p99.toFixed(1)} | ${r.cpu ?? '–'} | ${r.note} |`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const a = await startGatehouse({ label: 'printjobs' });
  const b = await startGatehouse({ label: 'printjobs', databaseUrl: a.databaseUrl });
  const servers = [a, b];
  try {
    const s = await seed(a);
    const rows = [await throughput(servers, s, 1), await throughput(servers, s, 10), ...(await latency(servers, s))];
    process.stdout.write(`\n${table(rows)}\n`);
  } finally {
    await b.stop();
    await a.stop();
  }
}

void main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
