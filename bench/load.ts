// The load generator: a separate process (forked by bench/run.ts, IPC) that runs autocannon rounds on request.
// A job is one request shape; `items` (already form-encoded) fill a `{item}` placeholder in the body, each used
// once (codes), and `rotate` names a JSON field of each response that goes back into the queue (refresh tokens).
import autocannon from 'autocannon';

export interface LoadJob {
  url: string;
  method: 'GET' | 'POST';
  path: string;
  headers: Record<string, string>;
  body?: string;
  items?: string[];
  rotate?: string;
  connections: number;
  /** Seconds; ignored when `amount` is set. */
  duration: number;
  amount?: number;
  expectStatus: number;
  /** A substring every good response body has (checked on each response). */
  expectBody?: string;
}

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
  statuses: Record<string, number>;
  seconds: number;
  /** What is left of `items` (unused codes, or the current refresh tokens when rotating). */
  items?: string[];
  sampleError?: string;
}

type Request = {
  method: string; path: string; headers: Record<string, string>; body?: string;
  setupRequest?: (req: Request) => Request | undefined;
  onResponse?: (status: number, body: string) => void;
};

async function run(job: LoadJob): Promise<LoadResult> {
  const queue = [...(job.items ?? [])];
  const statuses: Record<string, number> = {};
  let bad = 0;
  let sampleError: string | undefined;
  // autocannon notices the end of an `amount` run on its 1 s tick: time it by the last response instead.
  let lastResponse = process.hrtime.bigint();
  const request: Request = {
    method: job.method, path: job.path, headers: job.headers, body: job.body,
    onResponse(status, body) {
      lastResponse = process.hrtime.bigint();
      statuses[status] = (statuses[status] ?? 0) + 1;
      const good = status === job.expectStatus && (!job.expectBody || (body ?? '').includes(job.expectBody));
      if (!good) {
        bad++;
        sampleError ??= `${status} ${String(body ?? '').slice(0, 200)}`;
      }
      if (job.rotate && good) queue.push(JSON.parse(body)[job.rotate]);
    },
  };
  if (job.items) {
    request.setupRequest = (req) => {
      // Out of items: a request that fails (and counts as an error) rather than a stopped load generator.
      const item = queue.shift() ?? 'exhausted';
      return { ...req, body: job.body!.replace('{item}', item) };
    };
  }
  const started = process.hrtime.bigint();
  const result = await autocannon({
    url: job.url,
    connections: job.connections,
    pipelining: 1,
    ...(job.amount ? { amount: job.amount } : { duration: job.duration }),
    requests: [request],
    timeout: 10,
  });
  const seconds = Number((job.amount ? lastResponse : process.hrtime.bigint()) - started) / 1e9;
  const requests = result.requests.total;
  return {
    rps: job.amount ? requests / seconds : result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests,
    errors: bad + result.errors + result.timeouts,
    statuses,
    seconds,
    items: job.items ? queue : undefined,
    sampleError,
  };
}

process.on('message', (job: LoadJob) => {
  run(job).then(
    (result) => process.send!({ ok: true, result }),
    (err: Error) => process.send!({ ok: false, error: err.stack ?? String(err) }),
  );
});
