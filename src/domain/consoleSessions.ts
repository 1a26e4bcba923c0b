// The admin console's sign-ins in progress and its sessions (CONTRACT §7), kept in PostgreSQL so that every
// instance on the database serves every step. Cookies carry random values; the table keeps only their SHA-256.
import crypto from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { type Actor, recordAudit } from './audit.js';

const LOGIN_TTL_SECONDS = 10 * 60;
export const SESSION_TTL_SECONDS = 8 * 3600;

/** What a session or sign-in cookie's random value is stored as, here and for /account (accountSessions.ts). */
export function sessionDigest(value: string): string {
  return crypto.createHash('sha256').update(value, 'utf8').digest('base64url');
}

/** TypeORM answers a DELETE … RETURNING with [rows, count] on PostgreSQL, a SELECT with rows. */
function returnedRows<T>(result: unknown): T[] {
  return (Array.isArray(result) && Array.isArray(result[0]) ? result[0] : result) as T[];
}

export function randomToken(): string {
  return crypto.randomBytes(32).toString('base64url');
}

export interface PendingLogin {
  codeVerifier: string;
  returnTo: string;
}

/** Remembers a sign-in in progress under its OAuth `state` (RFC 6749 §10.12) and its PKCE verifier (RFC 7636). */
export async function startConsoleLogin(manager: EntityManager, state: string, login: PendingLogin): Promise<void> {
  await manager.query('DELETE FROM console_logins WHERE expires_at < now()');
  await manager.query(
    `INSERT INTO console_logins (state_hash, code_verifier, return_to, expires_at)
     VALUES ($1, $2, $3, now() + make_interval(secs => $4))`,
    [sessionDigest(state), login.codeVerifier, login.returnTo, LOGIN_TTL_SECONDS],
  );
}

/** The sign-in started under `state`, once: a second callback with the same state finds nothing. */
export async function takeConsoleLogin(manager: EntityManager, state: string): Promise<PendingLogin | null> {
  const rows = returnedRows<{ code_verifier: string; return_to: string }>(await manager.query(
    'DELETE FROM console_logins WHERE state_hash = $1 AND expires_at > now() RETURNING code_verifier, return_to',
    [sessionDigest(state)],
  ));
  return rows[0] ? { codeVerifier: rows[0].code_verifier, returnTo: rows[0].return_to } : null;
}

/** A new session for a signed-in user with the scopes the authorization server granted; returns its cookie value. */
export async function createConsoleSession(
  manager: EntityManager, actor: Actor & { id: string }, scopes: string[], csrfSecret: string,
): Promise<string> {
  const id = randomToken();
  await manager.transaction(async (tx) => {
    await tx.query('DELETE FROM console_sessions WHERE expires_at < now()');
    await tx.query(
      `INSERT INTO console_sessions (id_hash, user_id, scopes, csrf_secret, expires_at)
       VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))`,
      [sessionDigest(id), actor.id, scopes, csrfSecret, SESSION_TTL_SECONDS],
    );
    await recordAudit(tx, actor, 'console.sign_in', { type: 'user', id: actor.id }, { scope: scopes.join(' ') });
  });
  return id;
}

export interface ConsoleSession {
  user: { id: string; email: string; name: string };
  /**
   * What the user may do now: the scopes granted at sign-in, narrowed to the user's membership of the ADMIN
   * client and that client's permissions as they are at this moment, so a removed scope takes effect at once.
   */
  scopes: Set<string>;
  csrfSecret: string;
  /** The user has a second factor now (CONTRACT §11 ADMIN_MFA=required is checked on every request, not only at sign-in). */
  secondFactor: boolean;
}

/** The live session behind a cookie value, or null (unknown, expired, user blocked or deleted). */
export async function findConsoleSession(manager: EntityManager, id: string, adminClientId: string): Promise<ConsoleSession | null> {
  const rows: Array<{
    user_id: string; email: string; name: string; csrf_secret: string; scopes: string[];
    membership: string[] | null; permissions: string[] | null; second_factor: boolean;
  }> = await manager.query(
    `SELECT s.user_id, u.email, u.name, s.csrf_secret, s.scopes, m.scopes AS membership, u.mfa_secret IS NOT NULL AS second_factor,
            CASE WHEN c.is_blocked THEN NULL ELSE c.permissions END AS permissions
     FROM console_sessions s
     JOIN users u ON u.id = s.user_id AND NOT u.is_blocked
     LEFT JOIN memberships m ON m.user_id = s.user_id AND m.client_id = $2
     LEFT JOIN clients c ON c.id = $2
     WHERE s.id_hash = $1 AND s.expires_at > now()`,
    [sessionDigest(id), adminClientId],
  );
  const row = rows[0];
  if (!row) return null;
  const membership = new Set(row.membership ?? []);
  const permissions = new Set(row.permissions ?? []);
  return {
    user: { id: row.user_id, email: row.email, name: row.name },
    scopes: new Set(row.scopes.filter((s) => membership.has(s) && permissions.has(s))),
    csrfSecret: row.csrf_secret,
    secondFactor: row.second_factor,
  };
}

export async function endConsoleSession(manager: EntityManager, actor: Actor & { id: string }, id: string): Promise<void> {
  await manager.transaction(async (tx) => {
    const rows = returnedRows(await tx.query('DELETE FROM console_sessions WHERE id_hash = $1 RETURNING user_id', [sessionDigest(id)]));
    if (rows.length) await recordAudit(tx, actor, 'console.sign_out', { type: 'user', id: actor.id });
  });
}
