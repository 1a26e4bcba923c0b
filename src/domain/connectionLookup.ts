// The connection-aware client lookups on the OAuth hot path: one indexed query each, prepared once per
// pooled connection, never loading all of a client's connections (CONTRACT §3).
import type { Pool } from 'pg';
import type { ClientType } from '../../entities/index.js';

export interface ConnectionCredential {
  client_id: string;
  client_type: ClientType;
  permissions: string[];
  connection_id: string;
  consumer_id: string;
  redirect_uri: string | null;
  secret_hash: string;
}

export interface ClientRecord {
  client_id: string;
  client_type: ClientType;
  permissions: string[];
}

const COLUMNS = `c.id AS client_id, c.client_type, c.permissions,
  k.id AS connection_id, k.consumer_id, k.redirect_uri, k.secret_hash`;
const FROM = 'FROM connections k JOIN clients c ON c.id = k.client_id AND NOT c.is_blocked';
const JOINED = `SELECT ${COLUMNS} ${FROM}`;

/** The connection of `clientId` that registered exactly this redirect URI (authorization endpoint). */
export async function findByRedirectUri(pool: Pool, clientId: string, redirectUri: string): Promise<ConnectionCredential | null> {
  const { rows } = await pool.query<ConnectionCredential>({
    name: 'gh_conn_by_redirect',
    text: `${JOINED} WHERE k.client_id = $1 AND k.redirect_uri = $2`,
    values: [clientId, redirectUri],
  });
  return rows[0] ?? null;
}

/** A connection of `clientId` that registered this post_logout_redirect_uri (RP-initiated logout, CONTRACT §3). */
export async function findByPostLogoutRedirectUri(pool: Pool, clientId: string, uri: string): Promise<ConnectionCredential | null> {
  const { rows } = await pool.query<ConnectionCredential>({
    name: 'gh_conn_by_post_logout',
    text: `${JOINED} WHERE k.client_id = $1 AND k.post_logout_redirect_uri = $2 LIMIT 1`,
    values: [clientId, uri],
  });
  return rows[0] ?? null;
}

/** The connection of `clientId` whose secret has this HMAC (token, introspection, revocation endpoints). */
export async function findBySecretHash(pool: Pool, clientId: string, secretHash: string): Promise<ConnectionCredential | null> {
  const { rows } = await pool.query<ConnectionCredential>({
    name: 'gh_conn_by_secret',
    text: `${JOINED} WHERE k.client_id = $1 AND k.secret_hash = $2`,
    values: [clientId, secretHash],
  });
  return rows[0] ?? null;
}

/**
 * The same lookup, with one more column that the caller computes in the same round trip (a scalar subquery
 * whose parameters start at $3): what the request will read next, fetched with the credential.
 */
export async function findBySecretHashWith<T>(
  pool: Pool, clientId: string, secretHash: string, also: { name: string; sql: string; values: unknown[] },
): Promise<(ConnectionCredential & { also: T }) | null> {
  const { rows } = await pool.query<ConnectionCredential & { also: T }>({
    name: also.name,
    text: `SELECT ${COLUMNS}, ${also.sql} AS also ${FROM} WHERE k.client_id = $1 AND k.secret_hash = $2`,
    values: [clientId, secretHash, ...also.values],
  });
  return rows[0] ?? null;
}

/** An unblocked client, without any connection (userinfo, introspection of its tokens, end session). */
export async function findActiveClient(pool: Pool, clientId: string): Promise<ClientRecord | null> {
  const { rows } = await pool.query<ClientRecord>({
    name: 'gh_client_active',
    text: 'SELECT id AS client_id, client_type, permissions FROM clients WHERE id = $1 AND NOT is_blocked',
    values: [clientId],
  });
  return rows[0] ?? null;
}
