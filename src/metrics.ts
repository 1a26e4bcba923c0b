// What GET /metrics on the internal listener shows (CONTRACT §10), through prom-client. One registry per instance,
// so several instances in one process (tests) keep their own counts. Labels take values from small fixed sets:
// route templates, never raw paths.
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { Pool } from 'pg';
import client from 'prom-client';

export type ListenerName = 'public' | 'internal';
export type SignInResult = 'success' | 'failure' | 'throttled';

const GRANT_TYPES = new Set(['authorization_code', 'refresh_token', 'client_credentials']);
const ERROR_CODE = /^[a-z_]{1,40}$/;

export class Metrics {
  readonly registry = new client.Registry();
  readonly #requests: client.Counter<'listener' | 'route' | 'method' | 'status'>;
  readonly #duration: client.Histogram<'listener' | 'route'>;
  readonly #tokensIssued: client.Counter<'grant_type'>;
  readonly #tokenErrors: client.Counter<'error'>;
  readonly #signIns: client.Counter<'result'>;
  readonly #housekeeping: client.Counter<'kind'>;

  constructor(pool: Pool) {
    const registers = [this.registry];
    client.collectDefaultMetrics({ register: this.registry });
    this.#requests = new client.Counter({
      name: 'gatehouse_http_requests_total', help: 'HTTP requests answered, by listener, route template, method and status',
      labelNames: ['listener', 'route', 'method', 'status'], registers,
    });
    this.#duration = new client.Histogram({
      name: 'gatehouse_http_request_duration_seconds', help: 'Time to answer an HTTP request, by listener and route template',
      labelNames: ['listener', 'route'], buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30], registers,
    });
    this.#tokensIssued = new client.Counter({
      name: 'gatehouse_tokens_issued_total', help: 'Successful token endpoint requests, by grant type', labelNames: ['grant_type'], registers,
    });
    this.#tokenErrors = new client.Counter({
      name: 'gatehouse_token_errors_total', help: 'Token endpoint errors, by OAuth error code', labelNames: ['error'], registers,
    });
    this.#signIns = new client.Counter({
      name: 'gatehouse_sign_ins_total', help: 'Password sign-in attempts, by result', labelNames: ['result'], registers,
    });
    this.#housekeeping = new client.Counter({
      name: 'gatehouse_housekeeping_deleted_total', help: 'Expired rows removed by housekeeping, by kind', labelNames: ['kind'], registers,
    });
    new client.Gauge({
      name: 'gatehouse_db_pool_connections', help: "The database pool's connections, by state", labelNames: ['state'], registers,
      collect() {
        this.set({ state: 'total' }, pool.totalCount);
        this.set({ state: 'idle' }, pool.idleCount);
        this.set({ state: 'active' }, pool.totalCount - pool.idleCount);
        this.set({ state: 'waiting' }, pool.waitingCount);
      },
    });
    new client.Gauge({
      name: 'gatehouse_print_jobs', help: 'Print jobs in the database, by status', labelNames: ['status'], registers,
      // Counted at scrape time from the status index, so every instance shows the same, current numbers.
      async collect() {
        const { rows } = await pool.query<{ status: string; n: string }>({
          name: 'gh_metrics_print_jobs', text: 'SELECT status, count(*) AS n FROM print_jobs GROUP BY status',
        });
        this.reset();
        for (const status of ['queued', 'printing', 'printed', 'failed', 'canceled']) {
          this.set({ status }, Number(rows.find((r) => r.status === status)?.n ?? 0));
        }
      },
    });
  }

  request(listener: ListenerName, route: string, method: string, status: number, seconds: number): void {
    this.#requests.inc({ listener, route, method, status: String(status) });
    this.#duration.observe({ listener, route }, seconds);
  }

  signIn(result: SignInResult): void {
    this.#signIns.inc({ result });
  }

  removed(deleted: Record<string, number>): void {
    for (const [kind, n] of Object.entries(deleted)) if (n) this.#housekeeping.inc({ kind }, n);
  }

  /** Token counters move with oidc-provider's own events for the token endpoint. */
  watch(provider: Provider): void {
    provider.on('grant.success', (ctx: Context & { oidc: { params?: Record<string, unknown> } }) => {
      const grantType = String(ctx.oidc.params?.grant_type ?? '');
      this.#tokensIssued.inc({ grant_type: GRANT_TYPES.has(grantType) ? grantType : 'other' });
    });
    provider.on('grant.error', (_ctx: unknown, err: { error?: string }) => {
      const error = typeof err?.error === 'string' && ERROR_CODE.test(err.error) ? err.error : 'server_error';
      this.#tokenErrors.inc({ error });
    });
  }

  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}

/** The route template a request matched (@koa/router and oidc-provider both set it), never the raw path. */
export function routeTemplate(ctx: Context): string {
  const matched = (ctx as Context & { _matchedRoute?: unknown })._matchedRoute;
  return typeof matched === 'string' ? matched : 'unmatched';
}
