// Password setup links (CONTRACT §8): `${ISSUER}/password/setup/<token>`, single use, valid 72 hours. The token is
// 32 random bytes shown once; the database keeps only its HMAC (secrets.ts). A new link replaces the user's earlier
// ones. Setting the password claims the link in the statement that checks it, so of two posts one wins.
import bcrypt from 'bcrypt';
import type { EntityManager } from 'typeorm';
import { recordAudit } from './audit.js';
import { type PasswordProblem, passwordProblem } from './passwordPolicy.js';
import type { Secrets } from './secrets.js';

export const SETUP_LINK_HOURS = 72;
const BCRYPT_COST = 11;
/** What a token in a link looks like (base64url of 32 bytes); anything else is no link at all. */
export const SETUP_TOKEN = /^[A-Za-z0-9_-]{43}$/;

/** What making a link needs: the HMAC key and the issuer the link is under. */
export interface SetupLinks {
  secrets: Secrets;
  issuer: string;
}

export interface IssuedLink {
  password_setup_url: string;
  url: string;
  expires_at: string;
}

/** A new link for the user inside the caller's transaction; earlier links of the user stop working. */
export async function issueSetupLink(manager: EntityManager, links: SetupLinks, userId: string): Promise<IssuedLink> {
  const { secret, hash } = links.secrets.generate();
  await manager.query('DELETE FROM password_setups WHERE user_id = $1', [userId]);
  const rows: Array<{ expires_at: Date }> = await manager.query(
    `INSERT INTO password_setups (token_hash, user_id, expires_at) VALUES ($1, $2, now() + make_interval(hours => $3))
     RETURNING expires_at`,
    [hash, userId, SETUP_LINK_HOURS],
  );
  const url = `${links.issuer}/password/setup/${secret}`;
  return { password_setup_url: url, url, expires_at: new Date(rows[0].expires_at).toISOString() };
}

/** The user a link is for, while it is unused and unexpired; null for a used, expired or unknown link. */
export async function openSetupLink(manager: EntityManager, secrets: Secrets, token: string): Promise<{ userId: string; email: string } | null> {
  if (!SETUP_TOKEN.test(token)) return null;
  const rows: Array<{ user_id: string; email: string }> = await manager.query(
    `SELECT s.user_id, u.email FROM password_setups s JOIN users u ON u.id = s.user_id
     WHERE s.token_hash = $1 AND s.used_at IS NULL AND s.expires_at > now() AND NOT u.is_blocked`,
    [secrets.hash(token)],
  );
  return rows[0] ? { userId: rows[0].user_id, email: rows[0].email } : null;
}

export type SetupOutcome = { done: true } | { done: false; gone: true } | { done: false; gone: false; problem: PasswordProblem | 'mismatch' };

/** Sets the password through a link: the rules first (passwordPolicy.ts), then the link is claimed and used once. */
export async function completeSetup(
  manager: EntityManager, secrets: Secrets, token: string, password: string, confirmation: string, requestId: string | null,
): Promise<SetupOutcome> {
  const link = await openSetupLink(manager, secrets, token);
  if (!link) return { done: false, gone: true };
  if (password !== confirmation) return { done: false, gone: false, problem: 'mismatch' };
  const problem = passwordProblem(password, link.email);
  if (problem) return { done: false, gone: false, problem };
  const hash = await bcrypt.hash(password, BCRYPT_COST);
  return manager.transaction(async (tx) => {
    // The user's row first, then the link's: the order in which a reset or a deletion takes them (users.ts); the
    // other order deadlocked against a reset in flight, which then answered 500.
    await tx.query(
      'SELECT 1 FROM password_setups s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 FOR UPDATE OF u', [secrets.hash(token)],
    );
    const claimed: Array<{ user_id: string }> = await tx.query(
      `WITH used AS (UPDATE password_setups s SET used_at = now() FROM users u
         WHERE s.token_hash = $1 AND s.used_at IS NULL AND s.expires_at > now() AND u.id = s.user_id AND NOT u.is_blocked
         RETURNING s.user_id) SELECT user_id FROM used`,
      [secrets.hash(token)],
    );
    if (!claimed.length) return { done: false, gone: true } as const;
    const userId = claimed[0].user_id;
    await tx.query('UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1', [userId, hash]);
    await recordAudit(tx, { type: 'user', id: userId, requestId }, 'user.password_set', { type: 'user', id: userId });
    return { done: true } as const;
  });
}
