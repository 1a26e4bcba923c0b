// How many print-service reports per second Gatehouse sustains: PUT /api/print_service/printers with 20
// printers under the service's own client_credentials token, against GET /health/live in the same run.
// Starts Gatehouse (src/main.ts) in a child process on a fresh database; this process is the load generator.
//   npx tsx bench/printer-report.ts          BENCH_SECONDS (default 10), BENCH_CONNECTIONS (default 10)
import { createRequire } from 'node:module';
import { startGatehouse } from './servers.js';

// autocannon ships no types; this is the part of its programmatic API used here.
interface CannonRequest { method: string; path: string; headers: Record<string, string>; body?: string; setupRequest?: (r: CannonRequest) => CannonRequest }
interface CannonResult { requests: { average: number; total: number }; latency: { p50: number; p99: number }; errors: number; timeouts: number; non2xx: number }
const autocannon = createRequire(import.meta.url)('autocannon') as (o: {
  url: string; connections: number; duration: number; requests: CannonRequest[]; timeout?: number;
}) => Promise<CannonResult>;

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const PRINTERS = 20;

async function call(base: string, method: string, p: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${base}${p}`, { method, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${method} ${p} → ${res.status} ${await res.text()}`);
  return res.json() as Promise<{ data: Record<string, unknown> }>;
}

/** A print service through the internal API (CONTRACT §6) and a client_credentials token of its own. */
async function printServiceToken(server: { url: string; internalUrl: string }, id: string): Promise<string> {
  await call(server.internalUrl, 'POST', '/internal/clients', { id, name: 'Bench print service', client_type: 'PRINT_SERVICE' });
  const { data } = await call(server.internalUrl, 'PUT', `/internal/clients/${id}/connections`, { consumer_id: id });
  const res = await fetch(`${server.url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${id}:${data.secret}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'printer:report' }),
  });
  const token = (await res.json()) as { access_token?: string };
  if (!token.access_token) throw new Error(`no token: ${JSON.stringify(token)}`);
  return token.access_token;
}

function printers(flip = -1) {
  return Array.from({ length: PRINTERS }, (_, i) => ({
    system_name: `PRN_${String(i + 1).padStart(2, '0')}`,
    description: `Printer ${i + 1}, floor ${(i % 3) + 1}`,
    status: i === flip ? 'offline' : 'online',
  }));
}

interface Row { scenario: string; rps: number; p50: number; p99: number; requests: number; errors: number }

async function measure(scenario: string, url: string, request: CannonRequest, seconds = SECONDS): Promise<Row> {
  const r = await autocannon({ url, connections: CONNECTIONS, duration: seconds, requests: [request], timeout: 10 });
  return {
    scenario, rps: Math.round(r.requests.average), p50: r.latency.p50, p99: r.latency.p99,
    requests: r.requests.total, errors: r.errors + r.timeouts + r.non2xx,
  };
}

async function main(): Promise<void> {
  const server = await startGatehouse({ label: 'printers' });
  try {
    const token = await printServiceToken(server, 'bench_print_service');
    const others: string[] = [];
    for (let i = 1; i <= CONNECTIONS; i++) others.push(await printServiceToken(server, `bench_print_service_${i}`));
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const steady: CannonRequest = { method: 'PUT', path: '/api/print_service/printers', headers, body: JSON.stringify({ printers: printers() }) };
    // Every request changes one printer's status, so every report also writes an audit event.
    let n = 0;
    const changing: CannonRequest = { ...steady, setupRequest: (r) => ({ ...r, body: JSON.stringify({ printers: printers(n++ % PRINTERS) }) }) };
    // The same heartbeat from CONNECTIONS print services in turn: reports of different services do not queue on each other.
    let k = 0;
    const many: CannonRequest = {
      ...steady, setupRequest: (r) => ({ ...r, headers: { ...headers, authorization: `Bearer ${others[k++ % others.length]}` } }),
    };
    const live: CannonRequest = { method: 'GET', path: '/health/live', headers: {} };

    await measure('warm-up', server.url, steady, 2);
    const rows = [
      await measure('GET /health/live (baseline)', server.url, live),
      await measure('GET /api/permissions, same token (bearer check only)', server.url, { method: 'GET', path: '/api/permissions', headers }),
      await measure(`PUT /api/print_service/printers, ${PRINTERS} printers, unchanged (heartbeat)`, server.url, steady),
      await measure(`PUT /api/print_service/printers, ${PRINTERS} printers, one status changes (audited)`, server.url, changing),
      await measure(`PUT /api/print_service/printers, ${PRINTERS} printers, heartbeats of ${CONNECTIONS} services in turn`, server.url, many),
    ];
    const check = await fetch(`${server.url}/api/print_service/printers`, { method: 'PUT', headers, body: steady.body });
    const reported = ((await check.json()) as { data: unknown[] }).data.length;
    console.log(`\n${CONNECTIONS} connections, ${SECONDS} s each, Node ${process.version}, ${reported} printers in the last answer\n`);
    console.log('| scenario | req/s | p50 ms | p99 ms | requests | errors |');
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const r of rows) console.log(`| ${r.scenario} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.requests} | ${r.errors} |`);
    const ratio = rows[2].rps / rows[0].rps;
    console.log(`\nreport (heartbeat) / health baseline: ${(ratio * 100).toFixed(1)} %`);
  } finally {
    await server.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
