// Speed, not correctness: the code, refresh token or token value that a token, introspection or revocation request
// carries is read in the same round trip as its client's connection, with its Grant, its Session and its account.
// Two decorators share the rows through the request's state (requestState.ts): one around the connection lookup,
// one around the token store; each row is served once to this request and dropped by any write to it. Without them
// Gatehouse reads the same rows one query at a time (test/oauth-decorators.test.ts runs the flows that way).
import type { Pool } from 'pg';
import type { AdapterPayload } from 'oidc-provider';
import { type ConnectionCredential, findBySecretHashWith } from '../domain/connectionLookup.js';
import type { ConnectionSource, SecretRequest } from './clientFinder.js';
import type { TokenStorage } from './modelAdapter.js';
import { type OidcRequest, type PrefetchedAccount, currentRequest } from './requestState.js';
import { TOKEN_FACTS, TOKEN_FACTS_JOINS, type NewRow, type StoredRow } from './tokenStore.js';

/** Introspection and revocation look a value up in these three models at once (oidc-provider's token_find.js). */
const TOKEN_MODELS = ['AccessToken', 'ClientCredentials', 'RefreshToken'];

interface Plan {
  models: string[];
  id: string;
}

/** What this request will look up by a value it carries, if anything. */
export function readAheadPlan(route: string | undefined, params: Record<string, unknown>): Plan | undefined {
  const plan = (models: string[], id: unknown) => (typeof id === 'string' && id.length > 0 && id.length <= 512 ? { models, id } : undefined);
  if (route === 'introspection' || route === 'revocation') return plan(TOKEN_MODELS, params.token);
  if (route !== 'token') return undefined;
  if (params.grant_type === 'authorization_code') return plan(['AuthorizationCode'], params.code);
  if (params.grant_type === 'refresh_token') return plan(['RefreshToken'], params.refresh_token);
  return undefined;
}

type AheadRow = StoredRow & {
  model: string;
  grant_payload: AdapterPayload | null;
  session_payload: AdapterPayload | null;
  account: PrefetchedAccount | null;
};

/** A scalar subquery (a JSON array of rows) for a plan, its model list `$3` and its id `$4`. */
const READ_AHEAD_SQL = `(SELECT coalesce(json_agg(json_build_object(
    'model', p.model, 'payload', p.payload, 'connection_id', p.connection_id, 'consumer_id', p.consumer_id,
    'client_type', c.client_type, 'permissions', c.permissions, 'membership', m.scopes,
    'grant_payload', g.payload, 'session_payload', s.payload, 'account', (
      SELECT json_build_object('id', u.id, 'email', u.email, 'name', u.name) FROM users u
      WHERE u.id = m.user_id AND NOT u.is_blocked))), '[]'::json)
  FROM oidc_payloads p ${TOKEN_FACTS_JOINS}
  LEFT JOIN oidc_payloads g ON g.model = 'Grant' AND g.id = p.grant_id AND (g.expires_at IS NULL OR g.expires_at > now())
  LEFT JOIN oidc_payloads s ON s.model = 'Session' AND s.uid = p.payload->>'sessionUid'
    AND p.payload->>'expiresWithSession' = 'true' AND (s.expires_at IS NULL OR s.expires_at > now())
  WHERE p.model = ANY($3::text[]) AND p.id = $4 AND (p.expires_at IS NULL OR p.expires_at > now()))`;

function prime(state: OidcRequest, plan: Plan, rows: AheadRow[]): void {
  for (const model of plan.models) {
    const row = rows.find((r) => r.model === model);
    if (!row) {
      state.prefetchedTokens.set(`${model}:${plan.id}`, null);
      continue;
    }
    const { grant_payload, session_payload, account, ...stored } = row;
    state.prefetchedTokens.set(`${model}:${plan.id}`, stored);
    if (grant_payload) state.prefetchedPayloads.set(`Grant:${row.payload.grantId}`, grant_payload);
    if (session_payload) state.prefetchedPayloads.set(`Session:${row.payload.sessionUid}`, session_payload);
    if (account) state.prefetchedAccounts.set(account.id, account);
  }
}

/** The connection lookup, reading the request's code or token in the same statement. */
export function readAheadSource(pool: Pool, inner: ConnectionSource): ConnectionSource {
  return {
    async bySecret(request: SecretRequest): Promise<ConnectionCredential | null> {
      const plan = request.lookup.purpose === 'machine' ? undefined : readAheadPlan(request.route, request.params);
      if (!plan) return inner.bySecret(request);
      const found = await findBySecretHashWith<AheadRow[]>(pool, request.clientId, request.hash, {
        name: 'gh_conn_by_secret_read_ahead', sql: READ_AHEAD_SQL, values: [plan.models, plan.id],
      });
      if (found) prime(request.state, plan, found.also);
      return found;
    },
    forget: (clientId, hash) => inner.forget?.(clientId, hash),
  };
}

function take<T>(map: Map<string, T>, key: string): T | undefined {
  const value = map.get(key);
  map.delete(key);
  return value;
}

/** The token store, serving what was read ahead first; a write drops what was read of the row it writes. */
export function readAheadStore(store: TokenStorage): TokenStorage {
  const state = () => currentRequest()?.state;
  const takePayload = (key: string) => {
    const s = state();
    return s ? take(s.prefetchedPayloads, key) : undefined;
  };
  const drop = (row: NewRow) => {
    const s = state();
    if (!s) return;
    s.prefetchedTokens.delete(`${row.model}:${row.id}`);
    if (row.model === 'Grant') s.prefetchedPayloads.delete(`Grant:${row.id}`);
    if (row.model === 'Session') for (const key of s.prefetchedPayloads.keys()) if (key.startsWith('Session:')) s.prefetchedPayloads.delete(key);
  };
  return {
    async findToken(model, id) {
      const s = state();
      if (s?.prefetchedTokens.has(`${model}:${id}`)) return take(s.prefetchedTokens, `${model}:${id}`) ?? undefined;
      return store.findToken(model, id);
    },
    async find(model, id) {
      return (model === 'Grant' ? takePayload(`Grant:${id}`) : undefined) ?? store.find(model, id);
    },
    async findByUid(model, uid) {
      return (model === 'Session' ? takePayload(`Session:${uid}`) : undefined) ?? store.findByUid(model, uid);
    },
    findByUserCode: (model, code) => store.findByUserCode(model, code),
    upsert: (row) => (drop(row), store.upsert(row)),
    issue: (row) => (drop(row), store.issue(row)),
    redeemAndIssue: (redeemed, row) => (drop(row), store.redeemAndIssue(redeemed, row)),
    consume: (model, id) => (drop({ model, id } as NewRow), store.consume(model, id)),
    destroy: (model, id) => (drop({ model, id } as NewRow), store.destroy(model, id)),
  };
}

/** The account a code or refresh token of this request points to, read ahead with it (oidc-provider's findAccount). */
export function prefetchedAccount(id: string): PrefetchedAccount | undefined {
  const s = currentRequest()?.state;
  return s ? take(s.prefetchedAccounts, id) : undefined;
}
