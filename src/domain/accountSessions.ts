// Sessions of /account (CONTRACT §11), kept in PostgreSQL so that any instance serves them. The cookie carries a
// random value; the table keeps only its SHA-256, so reading the table does not let anyone in.
import crypto from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { type Actor, recordAudit } from './audit.js';
import { sessionDigest } from './consoleSessions.js';

export const ACCOUNT_SESSION_TTL_SECONDS = 30 * 60;



export interface AccountSession {
  user: { id: string; email: string; name: string };
  csrfSecret: string;
}

/** A new session for a user who just signed in; returns the cookie value. */
export async function createAccountSession(manager: EntityManager, actor: Actor & { id: string }, csrfSecret: string): Promise<string> {
  const id = crypto.randomBytes(32).toString('base64url');
  await manager.transaction(async (tx) => {
    await tx.query(
      `INSERT INTO account_sessions (id_hash, user_id, csrf_secret, expires_at) VALUES ($1, $2, $3, now() + make_interval(secs => $4))`,
      [sessionDigest(id), actor.id, csrfSecret, ACCOUNT_SESSION_TTL_SECONDS],
    );
    await recordAudit(tx, actor, 'account.sign_in', { type: 'user', id: actor.id });
  });
  return id;
}

/** The live session behind a cookie value, or null (unknown, expired, user blocked or deleted). */
export async function findAccountSession(manager: EntityManager, id: string): Promise<AccountSession | null> {
  const rows: Array<{ user_id: string; email: string; name: string; csrf_secret: string }> = await manager.query(
    `SELECT s.user_id, u.email, u.name, s.csrf_secret FROM account_sessions s
     JOIN users u ON u.id = s.user_id AND NOT u.is_blocked
     WHERE s.id_hash = $1 AND s.expires_at > now()`, [sessionDigest(id)],
  );
  const row = rows[0];
  return row ? { user: { id: row.user_id, email: row.email, name: row.name ?? '' }, csrfSecret: row.csrf_secret } : null;
}

export async function endAccountSession(manager: EntityManager, id: string): Promise<void> {
  await manager.query('DELETE FROM account_sessions WHERE id_hash = $1', [sessionDigest(id)]);
}
