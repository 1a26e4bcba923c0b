// What a hostile-input run needs besides its generators (test/support/hostileValues.ts): the request it sends, the
// checks every answer must pass (CONTRACT §3 "Hostile text", §4 "No response contains a secret hash"), and a cheap
// fingerprint of every table a refused request must leave alone.
import pg from 'pg';

/** The shape a refusal takes on an endpoint (CONTRACT §3: "a 4xx of the endpoint's kind"). */
export type Kind = 'api' | 'oauth' | 'page';

export interface HostileRequest {
  /** Endpoint group, for the tally. */
  group: string;
  /** Method and path template, for grouping problems. */
  route: string;
  kind: Kind;
  listener: 'public' | 'internal';
  method: string;
  /** Path and query exactly as sent: percent-encoding is the generator's, malformed on purpose where it says so. */
  target: string;
  headers: Record<string, string>;
  body?: string | Uint8Array;
  /** Why the request must be refused (NUL, lone surrogate, nesting, malformed percent-encoding), or null. */
  hostile: string | null;
  /** A clean sign-in attempt may record sign-in audit events and throttle counters (CONTRACT §8). */
  signInAttempt?: boolean;
  /** Work just before sending (signing a DPoP proof for the moment it is sent). */
  before?: () => Promise<void>;
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
}

export async function send(bases: { url: string; internalUrl: string }, r: HostileRequest): Promise<Answer> {
  const base = r.listener === 'internal' ? bases.internalUrl : bases.url;
  await r.before?.();
  const body = typeof r.body === 'string' || r.body === undefined ? r.body : new Uint8Array(r.body);
  const res = await fetch(base + r.target, { method: r.method, headers: r.headers, body: body as BodyInit | undefined, redirect: 'manual' });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

/** A request as a reader can replay it (curl-like, bodies cut short). */
export function requestLine(r: HostileRequest): string {
  const body = r.body === undefined ? '' : typeof r.body === 'string' ? r.body : `<bytes ${Buffer.from(r.body).toString('hex').slice(0, 160)}>`;
  const headers = Object.entries(r.headers).map(([k, v]) => `${k}: ${v.length > 120 ? `${v.slice(0, 120)}…` : v}`).join(' | ');
  const shown = body.length > 300 ? `${body.slice(0, 300)}… (${body.length} chars)` : body;
  return `${r.method} ${r.listener === 'internal' ? '<internal>' : ''}${r.target.length > 400 ? `${r.target.slice(0, 400)}…` : r.target}`
    + `${headers ? ` [${headers}]` : ''}${shown ? ` body=${JSON.stringify(shown)}` : ''}`;
}

// Leaks: internals (stack traces, SQL, driver errors) and anything secret.
const MARKERS = [
  '    at ', 'node_modules', 'SELECT ', 'INSERT INTO', 'DELETE FROM', 'syntax error at or near', 'violates',
  'QueryFailedError', 'duplicate key value', 'invalid input syntax', 'secret_hash', 'password_hash',
];
const ERROR_WITH_FILE = /\w*Error:[^\n]{0,300}?\/[\w@.-]+\/[\w@./-]+\.(?:[cm]?[jt]s)\b/;
const STACK_FRAME = /\(\/[^\s()]+:\d+:\d+\)/;

function requestText(r: HostileRequest): string {
  const body = r.body === undefined ? '' : typeof r.body === 'string' ? r.body : Buffer.from(r.body).toString('latin1');
  let target = r.target;
  try {
    target += decodeURIComponent(r.target.replace(/\+/g, ' '));
  } catch {
    // malformed on purpose; the raw text is what the server saw
  }
  return `${target}\n${Object.entries(r.headers).join('\n')}\n${body}`;
}

/** Static third-party files (the API viewer's bundle) are not answers to judge. */
function isStaticAsset(r: HostileRequest, a: Answer): boolean {
  return a.status === 200 && /^\/(api\/docs\/|console\/static\/|assets\/)/.test(r.target) && !/json/.test(a.headers.get('content-type') ?? '');
}

/** Values that must never appear in an answer: minted secrets, the pepper, stored hashes. */
export class Secrets {
  readonly values = new Map<string, string>();

  add(value: unknown, what: string): void {
    if (typeof value === 'string' && value.length >= 8) this.values.set(value, what);
  }

  /** Collects `secret` and `client_secret` of a successful answer, so that they may never appear again. */
  harvest(text: string): void {
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return;
    }
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v && typeof v === 'object') {
        for (const [k, x] of Object.entries(v)) {
          if (k === 'secret' || k === 'client_secret') this.add(x, `a secret minted earlier (${k})`);
          else walk(x);
        }
      }
    };
    walk(json);
  }

  /** Reads every stored secret and password hash, so that none may appear in an answer. */
  async addStoredHashes(db: pg.Client): Promise<void> {
    for (const row of (await db.query('SELECT secret_hash AS h FROM connections UNION ALL SELECT password_hash FROM users')).rows) {
      this.add(row.h, 'a stored hash');
    }
  }
}

/** What is wrong with an answer whatever the request: a 5xx, internals, a secret, a refusal of the wrong kind. */
export function answerProblems(r: HostileRequest, a: Answer, secrets: Secrets): string[] {
  const problems: string[] = [];
  if (a.status >= 500) problems.push(`status ${a.status}`);
  if (r.hostile && (a.status < 400 || a.status >= 500)) problems.push(`hostile input (${r.hostile}) answered ${a.status}, not a 4xx`);
  // 404 and 405: no such endpoint, so no endpoint kind to answer in.
  if (r.hostile && a.status >= 400 && a.status < 500 && a.status !== 404 && a.status !== 405) problems.push(...kindProblems(r, a));
  if (isStaticAsset(r, a)) return problems;
  const sent = requestText(r);
  for (const m of MARKERS) if (a.text.includes(m) && !sent.includes(m)) problems.push(`body contains ${JSON.stringify(m)}`);
  for (const re of [ERROR_WITH_FILE, STACK_FRAME]) {
    const m = re.exec(a.text);
    if (m && !sent.includes(m[0])) problems.push(`body contains ${JSON.stringify(m[0].slice(0, 120))}`);
  }
  for (const [value, what] of secrets.values) if (a.text.includes(value)) problems.push(`body contains ${what}`);
  return problems;
}

/**
 * A refusal in its endpoint's shape: the API's `{error: {type}}`, RFC 6749 §5.2 `{error}`, or an HTML page for a
 * browser (oidc-provider's page endpoints answer JSON to a client that prefers it).
 */
function kindProblems(r: HostileRequest, a: Answer): string[] {
  const { kind } = r;
  const type = a.headers.get('content-type') ?? '';
  if (kind === 'page' && /text\/html/.test(type)) return [];
  if (kind === 'page' && /text\/html/.test(r.headers.accept ?? '')) return [`a page's refusal is ${type || 'untyped'}, not HTML`];
  let json: { error?: unknown } | undefined;
  try {
    json = JSON.parse(a.text);
  } catch {
    return [`an ${kind} refusal is not JSON: ${a.text.slice(0, 80)}`];
  }
  const error = json?.error;
  if (kind === 'api' && typeof (error as { type?: unknown } | undefined)?.type !== 'string') return ['an /api refusal without error.type'];
  if (kind !== 'api' && typeof error !== 'string') return [`an ${kind} refusal without a string error`];
  return [];
}

const WATCHED = ['clients', 'connections', 'users', 'memberships', 'permissions', 'service_printers', 'system_printers', 'print_jobs'];
const SIGN_IN_ACTIONS = "('user.sign_in', 'user.sign_in_failed', 'user.locked_out')";

/**
 * One query over every table a refused request must leave alone: per table its row count, newest timestamps and a
 * digest of every row (so a partial write that keeps the timestamps is still seen), and the audit log's count.
 * Sign-in attempts (audit events and throttle counters) are kept apart: a clean wrong password records them.
 */
export class Fingerprint {
  private constructor(readonly db: pg.Client, private readonly sql: string) {}

  static async open(databaseUrl: string): Promise<Fingerprint> {
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    const { rows } = await db.query<{ table_name: string; column_name: string }>(
      "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' AND table_name = ANY($1)", [WATCHED],
    );
    const columns = (t: string) => rows.filter((r) => r.table_name === t).map((r) => r.column_name);
    const parts = WATCHED.filter((t) => columns(t).length).map((t) => {
      const max = ['updated_at', 'inserted_at'].filter((c) => columns(t).includes(c)).map((c) => ` || '|' || coalesce(max(${c})::text, '')`).join('');
      return `(SELECT count(*)::text${max} || '|' || md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM ${t} t) AS ${t}`;
    });
    parts.push(`(SELECT count(*)::text || '|' || coalesce(max(inserted_at)::text, '') FROM audit_events WHERE action NOT IN ${SIGN_IN_ACTIONS}) AS audit_events`);
    parts.push(`(SELECT count(*)::text FROM audit_events WHERE action IN ${SIGN_IN_ACTIONS})
      || '|' || (SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM login_throttle t) AS sign_in_attempts`);
    return new Fingerprint(db, `SELECT ${parts.join(',\n')}`);
  }

  async take(): Promise<Record<string, string>> {
    return (await this.db.query(this.sql)).rows[0];
  }

  /** The tables that differ between two fingerprints; a sign-in attempt may change its own records. */
  static changed(before: Record<string, string>, after: Record<string, string>, signInAttempt = false): string[] {
    return Object.keys(before).filter((k) => before[k] !== after[k] && !(signInAttempt && k === 'sign_in_attempts'));
  }

  close(): Promise<void> {
    return this.db.end();
  }
}
