// One process of a print service for bench/print-jobs.ts: claims jobs through one Gatehouse instance (a long poll),
// reports each printed, and tells its parent over IPC when it held each job (CLOCK_MONOTONIC, shared by processes).
//   forked with env CLAIM_URL, CLAIM_TOKEN, CLAIM_LIMIT, CLAIM_WAIT; stops on the message 'stop'.
import { jsonRequest } from './http-json.js';

const url = process.env.CLAIM_URL!;
const headers = { authorization: `Bearer ${process.env.CLAIM_TOKEN}` };
const body = JSON.stringify({ limit: Number(process.env.CLAIM_LIMIT ?? 1), wait: Number(process.env.CLAIM_WAIT ?? 30) });
let stopping = false;
process.on('message', (msg) => {
  if (msg === 'stop') stopping = true;
});

async function run(): Promise<void> {
  process.send!({ t: 'ready' });
  while (!stopping) {
    const res = await jsonRequest(url, 'POST', '/api/print_service/jobs/actions/claim', headers, body);
    const at = process.hrtime.bigint().toString();
    if (res.status !== 200) throw new Error(`claim → ${res.status} ${res.text}`);
    const { data } = JSON.parse(res.text) as { data: Array<{ id: string; document: string }> };
    if (data.length) process.send!({ t: 'claimed', ids: data.map((j) => j.id), at });
    // The jobs of one claim go to different printers: they print, and are reported, side by side.
    await Promise.all(data.map(async (job) => {
      const printed = await jsonRequest(url, 'PATCH', `/api/print_service/jobs/${job.id}`, headers, '{"status":"printed"}');
      if (printed.status !== 200) throw new Error(`report → ${printed.status} ${printed.text}`);
      process.send!({ t: 'printed', id: job.id, at: process.hrtime.bigint().toString() });
    }));
  }
  process.disconnect();
}

run().catch((err) => {
  process.stderr.write(`claimer: ${(err as Error).message}\n`);
  process.exit(1);
});
