// Storage of every oidc-provider model but Client: one PostgreSQL table, so any instance serves any step of any flow
// (CONTRACT §1). This is where the correctness of issuing lives: a code or token is stored only by a statement that
// re-checks, under row locks, everything it depends on (CONTRACT §3), and a redeemed code or refresh token is
// consumed by the statement that stores the first token issued from it. No request state here: the model adapter
// (modelAdapter.ts) translates oidc-provider's calls into these operations.
import type { Pool } from 'pg';
import type { AdapterPayload } from 'oidc-provider';
import type { ClientType } from '../../entities/index.js';
import { accountUuid, maySignInCondition } from '../domain/signInPolicy.js';

/** A row with what it was issued through and, for tokens, who holds it now (live permissions and membership). */
export interface StoredRow {
  payload: AdapterPayload;
  connection_id: string | null;
  consumer_id: string | null;
  client_type: ClientType | null;
  permissions: string[] | null;
  /** The membership scopes of the row's account at its client now; null when there is no such membership. */
  membership: string[] | null;
}

export interface NewRow {
  model: string;
  id: string;
  payload: AdapterPayload;
  expiresIn: number | undefined;
  /** The connection it is issued through (codes and tokens), with the secret HMAC the request authenticated with. */
  connectionId: string | null;
  consumerId: string | null;
  secretHash: string | null;
  /** client_credentials: every permission the token carries must still be held. */
  permissions: string[] | null;
}

/** Why a code or token was not stored. */
export type Refusal = 'replayed' | 'credential' | 'grant' | 'account';

/** A token's facts joined to its row: its client's type and permissions and its account's membership, as they are now. */
export const TOKEN_FACTS = `p.payload, p.connection_id, p.consumer_id, c.client_type, c.permissions, m.scopes AS membership`;
export const TOKEN_FACTS_JOINS = `LEFT JOIN clients c ON c.id = p.client_id
  LEFT JOIN memberships m ON p.account_id IS NOT NULL AND m.client_id = p.client_id
    AND m.user_id = ${accountUuid('p.account_id')}`;
const LIVE = '(p.expires_at IS NULL OR p.expires_at > now())';

const COLUMNS = '(model, id, payload, grant_id, uid, user_code, client_id, connection_id, consumer_id, account_id, expires_at)';
const VALUES = `$1, $2, $3::jsonb, $4, $5, $6, $7, $8::uuid, $9, $10, now() + make_interval(secs => $11::double precision)`;
const ON_CONFLICT = `ON CONFLICT (model, id) DO UPDATE SET
  payload = EXCLUDED.payload, grant_id = EXCLUDED.grant_id, uid = EXCLUDED.uid, user_code = EXCLUDED.user_code,
  client_id = EXCLUDED.client_id, account_id = EXCLUDED.account_id, expires_at = EXCLUDED.expires_at,
  connection_id = COALESCE(EXCLUDED.connection_id, oidc_payloads.connection_id),
  consumer_id = COALESCE(EXCLUDED.consumer_id, oidc_payloads.consumer_id)`;

/**
 * What a code or token needs to be stored, each a row lock away from its revocation (READ COMMITTED re-checks a
 * locked row after waiting, and the revoking side deletes in a later statement than the one that locks):
 * - its connection still has the secret the request authenticated with, its client is not blocked and, for
 *   client_credentials, still holds every permission the token carries (a rotation, deletion or block in flight);
 * - its grant still exists (a replay revokes the grant: a token issued after it is not stored);
 * - its account may still sign in through the client (a block, deletion or membership removal).
 */
interface IssueStatement {
  name: string;
  text: string;
  values(row: NewRow, redeemed?: { model: string; id: string }): unknown[];
}

/**
 * The statement that issues a row of this shape. Each shape checks exactly what applies to it and no guard stands
 * behind an `$n IS NULL OR …`, so PostgreSQL keeps one generic plan per statement instead of planning every call.
 * The insert's values are $1-$11; the guard's own parameters and the redeemed row follow.
 */
function issueStatement(row: NewRow, redeem: boolean): IssueStatement {
  const bound = row.connectionId !== null;
  const permissions = bound && row.permissions !== null;
  const grant = typeof row.payload.grantId === 'string';
  const account = typeof row.payload.accountId === 'string';
  const key = `${bound ? 'c' : ''}${permissions ? 'p' : ''}${grant ? 'g' : ''}${account ? 'a' : ''}${redeem ? 'r' : ''}`;
  return (statements[key] ??= build(bound, permissions, grant, account, redeem, key));
}

const statements: Record<string, IssueStatement> = {};

function build(bound: boolean, permissions: boolean, grant: boolean, account: boolean, redeem: boolean, key: string): IssueStatement {
  let n = 11;
  const secret = bound ? `$${++n}` : '';
  const held = permissions ? `$${++n}` : '';
  const redeemed = redeem ? [`$${++n}`, `$${++n}`] : [];
  const credential = bound
    ? `EXISTS (SELECT 1 FROM connections k JOIN clients c ON c.id = k.client_id
        WHERE k.id = $8::uuid AND k.secret_hash = ${secret}::text AND NOT c.is_blocked
        ${permissions ? `AND ${held}::text[] <@ c.permissions` : ''} FOR SHARE)`
    : 'TRUE';
  const grantAlive = grant ? `EXISTS (SELECT 1 FROM oidc_payloads g WHERE g.model = 'Grant' AND g.id = $4 FOR SHARE)` : 'TRUE';
  const mayAccount = account ? maySignInCondition('$10::text', '$7::text') : 'TRUE';
  // The grant is share-locked before the redeemed row: a replay's revocation locks the grant and then deletes its
  // rows, so taking them the other way round (the code row, kept locked by a re-check that found it consumed,
  // then the grant) deadlocks with it (test/token-store-locks.test.ts). The uncorrelated EXISTS runs before any
  // row of the update is locked; with the grant gone, nothing is redeemed.
  const grantFirst = grant ? `AND EXISTS (SELECT 1 FROM oidc_payloads g WHERE g.model = 'Grant' AND g.id = $4 FOR SHARE)` : '';
  const consumed = redeem ? `redeemed AS (
      UPDATE oidc_payloads SET consumed_at = now(), payload = payload || jsonb_build_object('consumed', extract(epoch from now())::bigint)
      WHERE model = ${redeemed[0]} AND id = ${redeemed[1]} AND consumed_at IS NULL ${grantFirst} RETURNING 1),` : '';
  const text = `WITH ${consumed}
    guard AS (SELECT ${redeem ? 'EXISTS (SELECT 1 FROM redeemed)' : 'TRUE'} AS redeemed, ${credential} AS credential,
      ${grantAlive} AS grant_alive, ${mayAccount} AS account),
    stored AS (INSERT INTO oidc_payloads ${COLUMNS} SELECT ${VALUES} FROM guard
      WHERE redeemed AND credential AND grant_alive AND account ${ON_CONFLICT} RETURNING 1)
    SELECT redeemed, credential, grant_alive, account FROM guard`;
  return {
    name: `gh_store_issue_${key || 'plain'}`,
    text,
    values(row, redeemedRow) {
      return [
        ...insertValues(row),
        ...(bound ? [row.secretHash] : []),
        ...(permissions ? [row.permissions] : []),
        ...(redeemedRow ? [redeemedRow.model, redeemedRow.id] : []),
      ];
    },
  };
}

const CONSUME_SQL = `UPDATE oidc_payloads SET consumed_at = now(),
    payload = payload || jsonb_build_object('consumed', extract(epoch from now())::bigint)
  WHERE model = $1 AND id = $2 AND consumed_at IS NULL`;

interface GuardResult {
  redeemed: boolean;
  credential: boolean;
  grant_alive: boolean;
  account: boolean;
}

function refusal(r: GuardResult): Refusal | null {
  if (!r.redeemed) return 'replayed';
  if (!r.credential) return 'credential';
  if (!r.grant_alive) return 'grant';
  if (!r.account) return 'account';
  return null;
}

/** The insert's eleven values ($1-$11). */
function insertValues(row: NewRow): unknown[] {
  const p = row.payload;
  const text = (v: unknown) => (typeof v === 'string' ? v : null);
  return [
    row.model, row.id, p, text(p.grantId), text(p.uid), text(p.userCode), text(p.clientId),
    row.connectionId, row.consumerId, text(p.accountId), row.expiresIn ?? null,
  ];
}

export class TokenStore {
  constructor(private readonly pool: Pool) {}

  /** A live row of a token model with its facts (CONTRACT §3 "live"); undefined when absent or expired. */
  async findToken(model: string, id: string): Promise<StoredRow | undefined> {
    const { rows } = await this.pool.query<StoredRow>({
      name: 'gh_store_find_token',
      text: `SELECT ${TOKEN_FACTS} FROM oidc_payloads p ${TOKEN_FACTS_JOINS} WHERE p.model = $1 AND p.id = $2 AND ${LIVE}`,
      values: [model, id],
    });
    return rows[0];
  }

  async find(model: string, id: string): Promise<AdapterPayload | undefined> {
    const { rows } = await this.pool.query<{ payload: AdapterPayload }>({
      name: 'gh_store_find', text: `SELECT p.payload FROM oidc_payloads p WHERE p.model = $1 AND p.id = $2 AND ${LIVE}`, values: [model, id],
    });
    return rows[0]?.payload;
  }

  async findByUid(model: string, uid: string): Promise<AdapterPayload | undefined> {
    const { rows } = await this.pool.query<{ payload: AdapterPayload }>({
      name: 'gh_store_find_uid', text: `SELECT p.payload FROM oidc_payloads p WHERE p.model = $1 AND p.uid = $2 AND ${LIVE}`, values: [model, uid],
    });
    return rows[0]?.payload;
  }

  async findByUserCode(model: string, userCode: string): Promise<AdapterPayload | undefined> {
    const { rows } = await this.pool.query<{ payload: AdapterPayload }>({
      name: 'gh_store_find_user_code', text: `SELECT p.payload FROM oidc_payloads p WHERE p.model = $1 AND p.user_code = $2 AND ${LIVE}`, values: [model, userCode],
    });
    return rows[0]?.payload;
  }

  /** Sessions, interactions, grants: stored as they are. */
  async upsert(row: NewRow): Promise<void> {
    await this.pool.query({
      name: 'gh_store_upsert', text: `INSERT INTO oidc_payloads ${COLUMNS} VALUES (${VALUES}) ${ON_CONFLICT}`, values: insertValues(row),
    });
  }

  /** A code or token, stored only if every guard holds; else why not. */
  async issue(row: NewRow): Promise<Refusal | null> {
    const statement = issueStatement(row, false);
    const { rows } = await this.pool.query<GuardResult>({ name: statement.name, text: statement.text, values: statement.values(row) });
    return refusal(rows[0]);
  }

  /** Redeem-and-issue: consumes `redeemed` and stores the first token issued from it in one statement. */
  async redeemAndIssue(redeemed: { model: string; id: string }, row: NewRow): Promise<Refusal | null> {
    const statement = issueStatement(row, true);
    const { rows } = await this.pool.query<GuardResult>({ name: statement.name, text: statement.text, values: statement.values(row, redeemed) });
    return refusal(rows[0]);
  }

  /** Only an unconsumed row is taken: of two requests consuming one at once, one does. */
  async consume(model: string, id: string): Promise<boolean> {
    const { rowCount } = await this.pool.query({ name: 'gh_store_consume', text: CONSUME_SQL, values: [model, id] });
    return rowCount === 1;
  }

  async destroy(model: string, id: string): Promise<void> {
    await this.pool.query({ name: 'gh_store_destroy', text: 'DELETE FROM oidc_payloads WHERE model = $1 AND id = $2', values: [model, id] });
  }
}

/** An access token presented to /api, with its client as it is now. */
export interface BearerRow extends StoredRow {
  model: string;
  client_id: string;
}

/** The live, unblocked client's access token (either model) with this value: what /api authenticates with. */
export async function findBearerToken(pool: Pool, value: string): Promise<BearerRow | undefined> {
  const { rows } = await pool.query<BearerRow>({
    name: 'gh_store_find_bearer',
    text: `SELECT p.model, p.client_id, ${TOKEN_FACTS} FROM oidc_payloads p ${TOKEN_FACTS_JOINS}
           WHERE p.model IN ('ClientCredentials', 'AccessToken') AND p.id = $1 AND ${LIVE} AND NOT c.is_blocked
           ORDER BY p.model LIMIT 1`,
    values: [value],
  });
  return rows[0];
}
