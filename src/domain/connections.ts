// Connections: one (client, consumer) pairing with its own secret and redirect URI (CONTRACT §2, §3).
import type { EntityManager } from 'typeorm';
import { type Actor, recordAudit } from './audit.js';
import { assertNotConsoleConnection } from './consoleClient.js';
import { Conflict, Invalid, NotFound, isUniqueViolation } from './errors.js';
import { redirectUriProblem } from './redirectUri.js';
import { revokeConnectionTokens } from './revocation.js';
import type { Secrets } from './secrets.js';
import { Conditions, listPage } from './listing.js';

export interface ConnectionView {
  id: string;
  client_id: string;
  consumer_id: string;
  redirect_uri: string | null;
  /** Only when one is registered: a connection without one has exactly §2's fields. */
  post_logout_redirect_uri?: string;
  inserted_at: string;
  updated_at: string;
}

export const CONNECTION_COLUMNS = 'id, client_id, consumer_id, redirect_uri, post_logout_redirect_uri, inserted_at, updated_at';

const REDIRECT_TAKEN = 'connections_client_redirect_key';

/** A connection as answered: post_logout_redirect_uri (§3 Logout, set through §6) appears only once registered. */
function view(row: ConnectionView & { post_logout_redirect_uri?: string | null }): ConnectionView {
  const { post_logout_redirect_uri: postLogout, ...rest } = row;
  return postLogout ? { ...rest, post_logout_redirect_uri: postLogout } : rest;
}

function redirectTaken(): Conflict {
  return new Conflict('redirect_uri is already registered for another connection of this client');
}

function assertRedirectUri(value: string | null | undefined, field = 'redirect_uri'): void {
  if (value === undefined || value === null) return;
  const problem = redirectUriProblem(value);
  if (problem) throw Invalid.property(field, 'format', `${field} ${problem}`, { format: 'redirect_uri' });
}

export interface ConnectionUpsert {
  consumer_id: string;
  redirect_uri?: string | null;
  /** Where RP-initiated logout may return (CONTRACT §3 "Logout"); omitted keeps the current one. */
  post_logout_redirect_uri?: string | null;
}

export interface ConnectionWithSecret {
  connection: ConnectionView;
  secret: string;
  created: boolean;
}

/**
 * Creates the (client, consumer) connection or rotates it: every call makes a new secret, so the previous one
 * stops working and the connection's tokens are revoked in the same transaction (CONTRACT §6).
 * An omitted redirect_uri keeps the current one.
 */
export async function upsertConnection(
  manager: EntityManager, secrets: Secrets, actor: Actor, clientId: string, input: ConnectionUpsert,
): Promise<ConnectionWithSecret> {
  assertRedirectUri(input.redirect_uri);
  assertRedirectUri(input.post_logout_redirect_uri, 'post_logout_redirect_uri');
  const { secret, hash } = secrets.generate();
  return manager.transaction(async (tx) => {
    await assertNotConsoleConnection(tx, { clientId, consumerId: input.consumer_id });
    const parties: Array<{ id: string }> = await tx.query(
      'SELECT id FROM clients WHERE id = ANY($1::text[]) FOR SHARE', [[clientId, input.consumer_id]],
    );
    if (!parties.some((p) => p.id === clientId)) throw new NotFound();
    if (!parties.some((p) => p.id === input.consumer_id)) {
      throw Invalid.property('consumer_id', 'existence', 'no client with this id', { consumer_id: input.consumer_id });
    }
    let rows: Array<ConnectionView & { created: boolean }>;
    try {
      rows = await tx.query(
        `INSERT INTO connections (client_id, consumer_id, redirect_uri, secret_hash, post_logout_redirect_uri) VALUES ($1, $2, $3, $4, $6)
         ON CONFLICT (client_id, consumer_id) DO UPDATE SET
           secret_hash = EXCLUDED.secret_hash,
           redirect_uri = CASE WHEN $5 THEN EXCLUDED.redirect_uri ELSE connections.redirect_uri END,
           post_logout_redirect_uri = CASE WHEN $7 THEN EXCLUDED.post_logout_redirect_uri ELSE connections.post_logout_redirect_uri END,
           updated_at = now()
         RETURNING ${CONNECTION_COLUMNS}, (xmax = 0) AS created`,
        [clientId, input.consumer_id, input.redirect_uri ?? null, hash, input.redirect_uri !== undefined,
          input.post_logout_redirect_uri ?? null, input.post_logout_redirect_uri !== undefined],
      );
    } catch (err) {
      if (isUniqueViolation(err, REDIRECT_TAKEN)) throw redirectTaken();
      throw err;
    }
    const { created, ...row } = rows[0];
    const connection = view(row);
    // Only a self-connection may lack a redirect URI; it can then use client_credentials only (CONTRACT §2).
    if (connection.redirect_uri === null && connection.consumer_id !== clientId) {
      throw Invalid.property('redirect_uri', 'required', 'required unless consumer_id is the client itself');
    }
    if (!created) await revokeConnectionTokens(tx, connection.id);
    await recordAudit(tx, actor, created ? 'connection.create' : 'connection.rotate_secret', { type: 'connection', id: connection.id }, {
      client_id: clientId, consumer_id: connection.consumer_id, redirect_uri: connection.redirect_uri,
      ...(connection.post_logout_redirect_uri ? { post_logout_redirect_uri: connection.post_logout_redirect_uri } : {}),
    });
    return { connection, secret, created };
  });
}

export async function getConnection(manager: EntityManager, clientId: string, connectionId: string): Promise<ConnectionView> {
  const rows: ConnectionView[] = await manager.query(
    `SELECT ${CONNECTION_COLUMNS} FROM connections WHERE id = $1 AND client_id = $2`, [connectionId, clientId],
  );
  if (!rows.length) throw new NotFound();
  return view(rows[0]);
}

export async function updateRedirectUri(
  manager: EntityManager, actor: Actor, clientId: string, connectionId: string, redirectUri: string,
): Promise<ConnectionView> {
  assertRedirectUri(redirectUri);
  return manager.transaction(async (tx) => {
    await assertNotConsoleConnection(tx, { id: connectionId });
    let rows: ConnectionView[];
    try {
      // TypeORM's query() answers [rows, count] to a bare UPDATE/DELETE ... RETURNING; inside WITH, the rows.
      rows = await tx.query(
        `WITH changed AS (UPDATE connections SET redirect_uri = $3, updated_at = now() WHERE id = $1 AND client_id = $2
         RETURNING ${CONNECTION_COLUMNS}) SELECT * FROM changed`,
        [connectionId, clientId, redirectUri],
      );
    } catch (err) {
      if (isUniqueViolation(err, REDIRECT_TAKEN)) throw redirectTaken();
      throw err;
    }
    if (!rows.length) throw new NotFound();
    await recordAudit(tx, actor, 'connection.update', { type: 'connection', id: connectionId }, { client_id: clientId, redirect_uri: redirectUri });
    return view(rows[0]);
  });
}

/** A new secret for one connection; the old one and every token issued through it die in the same commit. */
export async function refreshSecret(
  manager: EntityManager, secrets: Secrets, actor: Actor, clientId: string, connectionId: string,
): Promise<{ connection: ConnectionView; secret: string }> {
  const { secret, hash } = secrets.generate();
  return manager.transaction(async (tx) => {
    await assertNotConsoleConnection(tx, { id: connectionId });
    const rows: ConnectionView[] = await tx.query(
      `WITH changed AS (UPDATE connections SET secret_hash = $3, updated_at = now() WHERE id = $1 AND client_id = $2
       RETURNING ${CONNECTION_COLUMNS}) SELECT * FROM changed`,
      [connectionId, clientId, hash],
    );
    if (!rows.length) throw new NotFound();
    await revokeConnectionTokens(tx, connectionId);
    await recordAudit(tx, actor, 'connection.refresh_secret', { type: 'connection', id: connectionId }, { client_id: clientId });
    return { connection: view(rows[0]), secret };
  });
}

export async function deleteConnection(manager: EntityManager, actor: Actor, clientId: string, connectionId: string): Promise<void> {
  await manager.transaction(async (tx) => {
    await assertNotConsoleConnection(tx, { id: connectionId });
    const rows: Array<{ id: string }> = await tx.query(
      'WITH gone AS (DELETE FROM connections WHERE id = $1 AND client_id = $2 RETURNING id) SELECT id FROM gone', [connectionId, clientId],
    );
    if (!rows.length) throw new NotFound();
    await revokeConnectionTokens(tx, connectionId);
    await recordAudit(tx, actor, 'connection.delete', { type: 'connection', id: connectionId }, { client_id: clientId });
  });
}

export interface ConnectionFilter {
  consumer_id?: string;
  redirect_uri?: string;
}

/** A page of one client's connections in the contract's stable order (`inserted_at`, then `id`); filters match exactly. */
export async function listConnections(
  manager: EntityManager, clientId: string, filter: ConnectionFilter, page: number, pageSize: number,
): Promise<{ items: ConnectionView[]; total: number }> {
  const where = new Conditions().equals('client_id', clientId)
    .equals('consumer_id', filter.consumer_id).equals('redirect_uri', filter.redirect_uri);
  const found = await listPage<ConnectionView>(manager, 'connections', CONNECTION_COLUMNS, where, page, pageSize);
  return { ...found, items: found.items.map(view) };
}
