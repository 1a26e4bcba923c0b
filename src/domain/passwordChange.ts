// A signed-in user changes their own password (CONTRACT §11): the current one is required and §8's rules apply
// (passwordPolicy.ts). Wrong current passwords count toward the login throttle like a sign-in.
import bcrypt from 'bcrypt';
import type { EntityManager } from 'typeorm';
import { type Actor, recordAudit } from './audit.js';
import type { LoginThrottle } from './loginThrottle.js';
import { type PasswordProblem, passwordProblem } from './passwordPolicy.js';
import { sessionDigest } from './consoleSessions.js';
import { endSessions, lockUser } from './revocation.js';
import { verifyPassword } from './users.js';

const BCRYPT_COST = 11;

export type PasswordChange =
  | { outcome: 'changed' }
  | { outcome: 'wrong_current' }
  | { outcome: 'throttled'; retryAfter: number }
  | { outcome: 'mismatch' }
  | { outcome: 'weak'; problem: PasswordProblem };

export async function changePassword(
  manager: EntityManager, throttle: LoginThrottle, actor: Actor & { id: string },
  user: { id: string; email: string }, address: string, current: string, next: string, repeated: string,
  /** The /account session the change is made from: it stays, every other session ends. */
  accountSessionId: string,
): Promise<PasswordChange> {
  if (next !== repeated) return { outcome: 'mismatch' };
  const problem = passwordProblem(next, user.email);
  if (problem) return { outcome: 'weak', problem };
  const attempt = await throttle.attempt(user.email, address);
  if (!attempt.allowed) return { outcome: 'throttled', retryAfter: attempt.retryAfter };
  // The hash read before the check is the one the change replaces: of parallel changes from one current password,
  // one wins and the others find the hash changed (compare-and-set below), as if their current password were wrong.
  const before: Array<{ hash: string | null }> = await manager.query('SELECT password_hash AS hash FROM users WHERE id = $1', [user.id]);
  const verified = before[0]?.hash ? await verifyPassword(manager, user.email, current) : null;
  if (!verified || verified.id !== user.id) {
    await recordAudit(manager, actor, 'user.sign_in_failed', { type: 'user', id: user.id }, { email: user.email, client_address: address });
    return { outcome: 'wrong_current' };
  }
  await throttle.succeeded(user.email, address);
  const hash = await bcrypt.hash(next, BCRYPT_COST);
  const changed = await manager.transaction(async (tx) => {
    await lockUser(tx, user.id);
    const rows: unknown[] = await tx.query(
      'WITH c AS (UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1 AND password_hash = $3 RETURNING 1) SELECT * FROM c',
      [user.id, hash, before[0].hash],
    );
    if (!rows.length) return false;
    // Browsers signed in with the old password must sign in again (this /account session stays).
    await endSessions(tx, user.id, sessionDigest(accountSessionId));
    await recordAudit(tx, actor, 'user.password_change', { type: 'user', id: user.id });
    return true;
  });
  return changed ? { outcome: 'changed' } : { outcome: 'wrong_current' };
}
