// oidc-provider's storage for every model but Client: one PostgreSQL table, so any instance can serve any
// step of any flow (CONTRACT §1 "several instances"). Tokens also record the connection they were issued
// through, which is what binding, introspection and revocation by connection read.
import type { Pool } from 'pg';
import Provider, { errors } from 'oidc-provider';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import { permissionsIn } from '../domain/permissions.js';

/** Models whose rows are issued through one connection. */
const CONNECTION_BOUND = new Set(['AuthorizationCode', 'AccessToken', 'RefreshToken', 'ClientCredentials']);
/** Where a code or token must belong to the connection that authenticated (CONTRACT §3). */
const BINDING_ROUTES: Record<string, Set<string>> = {
  token: new Set(['AuthorizationCode', 'RefreshToken']),
  revocation: CONNECTION_BOUND,
};

export interface TokenMeta {
  connectionId: string | null;
  consumerId: string | null;
  clientType: string | null;
  /** The issuing client's permissions now, not when the token was issued (CONTRACT §3 "live"). */
  permissions: string[] | null;
}

// What find() read beside each token during one request, for the introspection response.
const requestTokenMeta = new WeakMap<object, Map<string, TokenMeta>>();

/** Introspection and revocation look a token value up in these three models at once (token_find.js). */
const TOKEN_MODELS = ['AccessToken', 'ClientCredentials', 'RefreshToken'];
const TOKEN_LOOKUP_ROUTES = new Set(['introspection', 'revocation']);

/**
 * The code, refresh token or token value a request to the token, introspection or revocation endpoint carries
 * is read in the same round trip as its client's connection (clientLookup.ts), together with the Grant, the
 * Session and the account it points to; each row is served once to this request and dropped by any write to it.
 */
interface ReadAhead {
  id: string;
  models: Set<string>;
  rows: Map<string, Row>;
}
const requestReadAhead = new WeakMap<object, ReadAhead>();

export interface ReadAheadPlan {
  models: string[];
  id: string;
}

/** What this request will look up by a value it carries, if anything. */
export function readAheadPlan(route: string | undefined, params: Record<string, unknown>): ReadAheadPlan | undefined {
  const plan = (models: string[], id: unknown) => (typeof id === 'string' && id.length > 0 && id.length <= 512 ? { models, id } : undefined);
  if (route && TOKEN_LOOKUP_ROUTES.has(route)) return plan(TOKEN_MODELS, params.token);
  if (route !== 'token') return undefined;
  if (params.grant_type === 'authorization_code') return plan(['AuthorizationCode'], params.code);
  if (params.grant_type === 'refresh_token') return plan(['RefreshToken'], params.refresh_token);
  return undefined;
}

/**
 * A scalar subquery (a JSON array of rows) for a plan, with its model list as `$3` and its id as `$4`: each row
 * with its connection, its client's live type and permissions, its Grant, its Session and its account.
 */
export const READ_AHEAD_SQL = `(SELECT coalesce(json_agg(json_build_object(
    'model', p.model, 'payload', p.payload, 'connection_id', p.connection_id, 'consumer_id', p.consumer_id,
    'client_type', c.client_type, 'permissions', c.permissions, 'grant_payload', g.payload,
    'session_payload', s.payload, 'account', (
      SELECT json_build_object('id', u.id, 'email', u.email, 'name', u.name) FROM users u
      WHERE u.id = (CASE WHEN p.payload->>'accountId' ~ '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'
                    THEN p.payload->>'accountId' END)::uuid AND NOT u.is_blocked))), '[]'::json)
  FROM oidc_payloads p LEFT JOIN clients c ON c.id = p.client_id
  LEFT JOIN oidc_payloads g ON g.model = 'Grant' AND g.id = p.grant_id AND (g.expires_at IS NULL OR g.expires_at > now())
  LEFT JOIN oidc_payloads s ON s.model = 'Session' AND s.uid = p.payload->>'sessionUid'
    AND p.payload->>'expiresWithSession' = 'true' AND (s.expires_at IS NULL OR s.expires_at > now())
  WHERE p.model = ANY($3::text[]) AND p.id = $4 AND (p.expires_at IS NULL OR p.expires_at > now()))`;

export type ReadAheadRow = Row & { model: string };

/** Keeps what READ_AHEAD_SQL returned for this request. */
export function primeReadAhead(ctx: object, plan: ReadAheadPlan, rows: ReadAheadRow[]): void {
  requestReadAhead.set(ctx, { id: plan.id, models: new Set(plan.models), rows: new Map(rows.map((r) => [r.model, r])) });
}

/** The read-ahead answer for (model, id), once: `null` when it was read and is not there, undefined when not read. */
function takeReadAhead(model: string, id: string): Row | null | undefined {
  const ctx = Provider.ctx;
  const ahead = ctx && requestReadAhead.get(ctx);
  if (!ahead || ahead.id !== id || !ahead.models.has(model)) return undefined;
  ahead.models.delete(model);
  const row = ahead.rows.get(model);
  ahead.rows.delete(model);
  return row ?? null;
}

/** A write to a row drops what was read ahead of it. */
function dropReadAhead(model: string, id: string): void {
  const ctx = Provider.ctx;
  const ahead = ctx && requestReadAhead.get(ctx);
  if (ahead?.id === id) {
    ahead.models.delete(model);
    ahead.rows.delete(model);
  }
}

/** The account a code or refresh token of this request points to, read ahead with it (findAccount). */
export function prefetchedAccount(id: string): PrefetchedAccount | undefined {
  const account = takePrefetched(`Account:${id}`) as unknown as PrefetchedAccount | undefined;
  return account?.id === id ? account : undefined;
}

export interface PrefetchedAccount {
  id: string;
  email: string;
  name: string;
}

// The Grant, Session and account read ahead with a code or token (READ_AHEAD_SQL), each served once to this
// request only (a write in between drops it); nothing kept across requests.
const requestPrefetch = new WeakMap<object, Map<string, AdapterPayload>>();

function takePrefetched(key: string): AdapterPayload | undefined {
  const ctx = Provider.ctx;
  const prefetched = ctx && requestPrefetch.get(ctx);
  const payload = prefetched?.get(key);
  if (payload) prefetched!.delete(key);
  return payload;
}

/** A write to a Grant or Session in this request drops what was read of it beforehand. */
function dropPrefetched(model: string, id: string): void {
  const ctx = Provider.ctx;
  const prefetched = ctx && requestPrefetch.get(ctx);
  if (!prefetched) return;
  if (model === 'Session') {
    for (const key of prefetched.keys()) if (key.startsWith('Session:')) prefetched.delete(key);
  } else {
    prefetched.delete(`${model}:${id}`);
  }
}

export function tokenMetaOf(ctx: object, id: string): TokenMeta | undefined {
  return requestTokenMeta.get(ctx)?.get(id);
}

/** ctx.oidc.client: extra client metadata keeps its snake_case names. */
interface CurrentClient {
  connection_id?: string;
  consumer_id?: string;
  /** The HMAC of the secret this request authenticated with (clientLookup.ts puts it in client_secret). */
  clientSecret?: string;
}

function currentRequest() {
  const ctx = Provider.ctx;
  return { ctx, route: ctx?.oidc?.route as string | undefined, client: ctx?.oidc?.client as CurrentClient | undefined };
}

export interface Row {
  payload: AdapterPayload;
  grant_payload?: AdapterPayload | null;
  session_payload?: AdapterPayload | null;
  account?: PrefetchedAccount | null;
  connection_id: string | null;
  consumer_id: string | null;
  client_type: string | null;
  permissions: string[] | null;
}

// A token is stored only while its connection still has the secret this request authenticated with, its client
// is not blocked and (client_credentials) still holds every permission the token carries; FOR SHARE waits for a
// refresh, delete or block in flight, so no token issued alongside one outlives it (CONTRACT §3 "Regenerated,
// refreshed or deleted secrets"). The statement that issues a token re-checks all of it. `onlyIf` is a further
// condition on storing it.
function upsertSql(onlyIf = 'TRUE'): string {
  return `INSERT INTO oidc_payloads
      (model, id, payload, grant_id, uid, user_code, client_id, connection_id, consumer_id, expires_at)
    SELECT $1, $2, $3::jsonb, $4, $5, $6, $7, $8::uuid, $9, now() + make_interval(secs => $10::double precision)
    WHERE (${onlyIf}) AND ($8::uuid IS NULL OR EXISTS (
      SELECT 1 FROM connections k JOIN clients c ON c.id = k.client_id
      WHERE k.id = $8::uuid AND k.secret_hash = $11 AND NOT c.is_blocked
        AND ($12::text[] IS NULL OR $12::text[] <@ c.permissions) FOR SHARE))
    ON CONFLICT (model, id) DO UPDATE SET
      payload = EXCLUDED.payload, grant_id = EXCLUDED.grant_id, uid = EXCLUDED.uid,
      user_code = EXCLUDED.user_code, client_id = EXCLUDED.client_id,
      connection_id = COALESCE(EXCLUDED.connection_id, oidc_payloads.connection_id),
      consumer_id = COALESCE(EXCLUDED.consumer_id, oidc_payloads.consumer_id),
      expires_at = EXCLUDED.expires_at`;
}

/** Only an unconsumed row is taken: of two requests redeeming one code at once, one consumes it. */
function consumeSql(model: string, id: string): string {
  return `UPDATE oidc_payloads SET consumed_at = now(),
      payload = payload || jsonb_build_object('consumed', extract(epoch from now())::bigint)
    WHERE model = ${model} AND id = ${id} AND consumed_at IS NULL`;
}

const UPSERT_SQL = upsertSql();
const CONSUME_SQL = consumeSql('$1', '$2');
/** The upsert's twelve parameters, then the model and id of the code or refresh token to consume first. */
const CONSUME_AND_UPSERT_SQL = `WITH consumed AS (${consumeSql('$13', '$14')} RETURNING 1),
  inserted AS (${upsertSql('EXISTS (SELECT 1 FROM consumed)')} RETURNING 1)
  SELECT (SELECT count(*) FROM consumed)::int AS consumed, (SELECT count(*) FROM inserted)::int AS inserted`;

/**
 * At the token endpoint a code or refresh token is consumed by the statement that stores the first token it
 * produces (one round trip fewer): nothing is issued unless that consume succeeds, and a request that fails
 * before issuing anything leaves it unconsumed, having issued nothing with it.
 */
const DEFERRED_CONSUME = new Set(['AuthorizationCode', 'RefreshToken']);
const requestPendingConsume = new WeakMap<object, { model: string; id: string }>();

export interface AdapterOptions {
  /**
   * A token of a connection-bound model was not stored: the connection's secret changed, its client was blocked
   * or (client_credentials) a permission it asks for was removed since the request's client lookup. Throws the
   * error the request gets; without it, invalid_client.
   */
  refused?: (ctx: object | undefined) => Promise<never>;
}

export function pgAdapterFactory(pool: Pool, options: AdapterOptions = {}) {
  const refused = options.refused ?? (async () => { throw new errors.InvalidClientAuth(); });
  /**
   * Another request read this code or refresh token unconsumed too and consumed it first: this one is a replay, so
   * it fails and the grant's tokens are revoked, as oidc-provider does for a sequential replay (RFC 6749 §4.1.2).
   */
  async function revokeReplayed(model: string, id: string): Promise<never> {
    await pool.query({
      name: 'gh_oidc_revoke_replayed',
      text: 'DELETE FROM oidc_payloads WHERE grant_id = (SELECT grant_id FROM oidc_payloads WHERE model = $1 AND id = $2)',
      values: [model, id],
    });
    throw new errors.InvalidGrant('grant request is invalid');
  }

  return class PgAdapter implements Adapter {
    constructor(readonly model: string) {}

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      dropPrefetched(this.model, id);
      dropReadAhead(this.model, id);
      const { ctx, client } = currentRequest();
      const bound = CONNECTION_BOUND.has(this.model) ? client : undefined;
      const values = [
        this.model, id, payload, payload.grantId ?? null, payload.uid ?? null, payload.userCode ?? null,
        payload.clientId ?? null, bound?.connection_id ?? null, bound?.consumer_id ?? null, expiresIn ?? null,
        bound?.clientSecret ?? null,
        bound && this.model === 'ClientCredentials' ? permissionsIn(payload.scope) : null,
      ];
      const pending = bound && ctx ? requestPendingConsume.get(ctx) : undefined;
      if (pending) {
        // The code or refresh token this request redeemed is consumed by the statement that stores its first token.
        requestPendingConsume.delete(ctx!);
        const { rows } = await pool.query<{ consumed: number; inserted: number }>({
          name: 'gh_oidc_consume_and_upsert',
          text: CONSUME_AND_UPSERT_SQL,
          values: [...values, pending.model, pending.id],
        });
        if (rows[0].consumed === 0) await revokeReplayed(pending.model, pending.id);
        if (rows[0].inserted === 0) await refused(ctx);
        return;
      }
      const { rowCount } = await pool.query({ name: 'gh_oidc_upsert_guarded', text: UPSERT_SQL, values });
      if (bound && rowCount === 0) await refused(ctx);
    }

    async row(id: string): Promise<Row | undefined> {
      const ahead = takeReadAhead(this.model, id);
      if (ahead !== undefined) return ahead ?? undefined;
      // Not read ahead (no client secret in this request, or a second read after a write): the row alone.
      const { rows } = await pool.query<Row>({
        name: 'gh_oidc_find',
        text: `SELECT p.payload, p.connection_id, p.consumer_id, c.client_type, c.permissions
               FROM oidc_payloads p LEFT JOIN clients c ON c.id = p.client_id
               WHERE p.model = $1 AND p.id = $2 AND (p.expires_at IS NULL OR p.expires_at > now())`,
        values: [this.model, id],
      });
      return rows[0];
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (this.model === 'Grant') {
        const prefetched = takePrefetched(`Grant:${id}`);
        if (prefetched) return prefetched;
      }
      const row = await this.row(id);
      if (!row) return undefined;
      if (!CONNECTION_BOUND.has(this.model)) return row.payload;

      const { ctx, route, client } = currentRequest();
      // Another consumer of the same client cannot redeem, refresh or revoke this one's codes and tokens.
      if (route && BINDING_ROUTES[route]?.has(this.model) && client?.connection_id !== row.connection_id) {
        return undefined;
      }
      if (ctx && (row.grant_payload || row.session_payload || row.account)) {
        let prefetched = requestPrefetch.get(ctx);
        if (!prefetched) requestPrefetch.set(ctx, (prefetched = new Map()));
        if (row.grant_payload) prefetched.set(`Grant:${row.payload.grantId}`, row.grant_payload);
        if (row.session_payload) prefetched.set(`Session:${row.payload.sessionUid}`, row.session_payload);
        if (row.account) prefetched.set(`Account:${row.account.id}`, row.account as unknown as AdapterPayload);
      }
      if (ctx) {
        let metas = requestTokenMeta.get(ctx);
        if (!metas) requestTokenMeta.set(ctx, (metas = new Map()));
        metas.set(id, {
          connectionId: row.connection_id, consumerId: row.consumer_id,
          clientType: row.client_type, permissions: row.permissions,
        });
      }
      return row.payload;
    }

    async findByUid(uid: string): Promise<AdapterPayload | undefined> {
      if (this.model === 'Session') {
        const prefetched = takePrefetched(`Session:${uid}`);
        if (prefetched) return prefetched;
      }
      const { rows } = await pool.query<{ payload: AdapterPayload }>({
        name: 'gh_oidc_find_uid',
        text: `SELECT payload FROM oidc_payloads WHERE model = $1 AND uid = $2
               AND (expires_at IS NULL OR expires_at > now())`,
        values: [this.model, uid],
      });
      return rows[0]?.payload;
    }

    async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      const { rows } = await pool.query<{ payload: AdapterPayload }>({
        name: 'gh_oidc_find_user_code',
        text: `SELECT payload FROM oidc_payloads WHERE model = $1 AND user_code = $2
               AND (expires_at IS NULL OR expires_at > now())`,
        values: [this.model, userCode],
      });
      return rows[0]?.payload;
    }

    async consume(id: string): Promise<void> {
      dropReadAhead(this.model, id);
      const { ctx, route } = currentRequest();
      if (ctx && route === 'token' && DEFERRED_CONSUME.has(this.model) && !requestPendingConsume.has(ctx)) {
        requestPendingConsume.set(ctx, { model: this.model, id });
        return;
      }
      const { rowCount } = await pool.query({ name: 'gh_oidc_consume_once', text: CONSUME_SQL, values: [this.model, id] });
      if (rowCount === 0) await revokeReplayed(this.model, id);
    }

    async destroy(id: string): Promise<void> {
      dropPrefetched(this.model, id);
      dropReadAhead(this.model, id);
      await pool.query({ name: 'gh_oidc_destroy', text: 'DELETE FROM oidc_payloads WHERE model = $1 AND id = $2', values: [this.model, id] });
    }

    // Called on authorization code replay: every token of that grant dies (RFC 6749 §4.1.2).
    async revokeByGrantId(grantId: string): Promise<void> {
      await pool.query({ name: 'gh_oidc_revoke_grant', text: 'DELETE FROM oidc_payloads WHERE grant_id = $1', values: [grantId] });
    }
  };
}

/** Removes expired rows in batches; every instance may run it, the work is idempotent. */
export async function purgeExpired(pool: Pool, batch = 5000): Promise<number> {
  const { rowCount } = await pool.query(
    `DELETE FROM oidc_payloads WHERE ctid = ANY(ARRAY(
       SELECT ctid FROM oidc_payloads WHERE expires_at < now() LIMIT $1))`,
    [batch],
  );
  return rowCount ?? 0;
}
