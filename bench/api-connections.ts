// How many GET /api/clients/{id}/connections per second Gatehouse serves with an ADMIN token (a full default
// page of 50 connections), against GET /health/live in the same run (CONTRACT §4, issue 3).
// Gatehouse runs as a child process (src/main.ts) on a fresh database; this process is the load generator.
//   npx tsx bench/api-connections.ts        BENCH_SECONDS (default 10), BENCH_CONNECTIONS (default 10),
//   BENCH_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the server)
import { createRequire } from 'node:module';
import { startGatehouse } from './servers.js';

interface CannonRequest { method: string; path: string; headers: Record<string, string> }
interface CannonResult { requests: { average: number; total: number }; latency: { p50: number; p99: number }; errors: number; timeouts: number; non2xx: number }
// autocannon ships no types; this is the part of its programmatic API used here.
const autocannon = createRequire(import.meta.url)('autocannon') as (o: {
  url: string; connections: number; duration: number; requests: CannonRequest[]; timeout?: number;
}) => Promise<CannonResult>;

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10);
const CLIENT_CONNECTIONS = 50;

async function internal(base: string, method: string, p: string, body: unknown) {
  const res = await fetch(`${base}${p}`, { method, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${method} ${p} → ${res.status} ${await res.text()}`);
  return ((await res.json()) as { data: Record<string, string> }).data;
}

/** An ADMIN client with a client_credentials token, and an MSP client with CLIENT_CONNECTIONS connections. */
async function seed(server: { url: string; internalUrl: string }): Promise<{ token: string; clientId: string }> {
  const admin = await internal(server.internalUrl, 'POST', '/internal/clients', { name: 'Bench admin', client_type: 'ADMIN' });
  const self = await internal(server.internalUrl, 'PUT', `/internal/clients/${admin.id}/connections`, { consumer_id: admin.id });
  const msp = await internal(server.internalUrl, 'POST', '/internal/clients', { name: 'Bench MSP', client_type: 'MSP' });
  for (let i = 0; i < CLIENT_CONNECTIONS; i++) {
    const consumer = await internal(server.internalUrl, 'POST', '/internal/clients', { name: `Consumer ${i}`, client_type: 'PHARMACY' });
    await internal(server.internalUrl, 'PUT', `/internal/clients/${msp.id}/connections`, { consumer_id: consumer.id, redirect_uri: `https://pharmacy-${i}.example/cb` });
  }
  const res = await fetch(`${server.url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${admin.id}:${self.secret}`).toString('base64')}` },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'connection:read' }),
  });
  const token = (await res.json()) as { access_token?: string };
  if (!token.access_token) throw new Error(`no token: ${JSON.stringify(token)}`);
  return { token: token.access_token, clientId: msp.id };
}

interface Row { scenario: string; rps: number; p50: number; p99: number; requests: number; errors: number }

async function measure(scenario: string, url: string, request: CannonRequest, seconds = SECONDS): Promise<Row> {
  const r = await autocannon({ url, connections: CONNECTIONS, duration: seconds, requests: [request], timeout: 10 });
  return { scenario, rps: Math.round(r.requests.average), p50: r.latency.p50, p99: r.latency.p99, requests: r.requests.total, errors: r.errors + r.timeouts + r.non2xx };
}

async function main(): Promise<void> {
  const server = await startGatehouse({ label: 'api' });
  try {
    const { token, clientId } = await seed(server);
    const headers = { authorization: `Bearer ${token}` };
    const list: CannonRequest = { method: 'GET', path: `/api/clients/${clientId}/connections`, headers };
    const check = (await (await fetch(`${server.url}${list.path}`, { headers })).json()) as { data: unknown[] };
    if (check.data.length !== CLIENT_CONNECTIONS) throw new Error(`expected ${CLIENT_CONNECTIONS} connections, got ${JSON.stringify(check).slice(0, 200)}`);

    await measure('warm-up', server.url, list, 2);
    const rows = [
      await measure('GET /health/live (baseline)', server.url, { method: 'GET', path: '/health/live', headers: {} }),
      await measure(`GET /api/clients/{id}/connections, ADMIN token, ${CLIENT_CONNECTIONS} per page`, server.url, list),
      await measure('GET /api/clients/{id}/connections?page_size=1, ADMIN token', server.url, { ...list, path: `${list.path}?page_size=1` }),
    ];
    console.log(`\n${CONNECTIONS} connections, ${SECONDS} s each, Node ${process.version}\n`);
    console.log('| scenario | req/s | p50 ms | p99 ms | requests | errors |');
    console.log('|---|---:|---:|---:|---:|---:|');
    for (const r of rows) console.log(`| ${r.scenario} | ${r.rps} | ${r.p50} | ${r.p99} | ${r.requests} | ${r.errors} |`);
    console.log(`\nconnections list / health baseline: ${((rows[1].rps / rows[0].rps) * 100).toFixed(1)} %`);
  } finally {
    await server.stop();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
