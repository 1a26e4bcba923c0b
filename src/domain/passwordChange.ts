// A signed-in user changes their own password (CONTRACT §11): the current one is required and §8's rules apply
// (passwordPolicy.ts). Wrong current passwords count toward the login throttle like a sign-in.
import bcrypt from 'bcrypt';
import type { EntityManager } from 'typeorm';
import { type Actor, recordAudit } from './audit.js';
import type { LoginThrottle } from './loginThrottle.js';
import { type PasswordProblem, passwordProblem } from './passwordPolicy.js';
import { digest as accountSessionDigest } from './accountSessions.js';
import { endSessions } from './revocation.js';
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
  const verified = await verifyPassword(manager, user.email, current);
  if (!verified || verified.id !== user.id) {
    await recordAudit(manager, actor, 'user.sign_in_failed', { type: 'user', id: user.id }, { email: user.email, client_address: address });
    return { outcome: 'wrong_current' };
  }
  await throttle.succeeded(user.email, address);
  const hash = await bcrypt.hash(next, BCRYPT_COST);
  await manager.transaction(async (tx) => {
    await tx.query('UPDATE users SET password_hash = $2, updated_at = now() WHERE id = $1', [user.id, hash]);
    // Browsers signed in with the old password must sign in again (this /account session stays).
    await endSessions(tx, user.id, accountSessionDigest(accountSessionId));
    await recordAudit(tx, actor, 'user.password_change', { type: 'user', id: user.id });
  });
  return { outcome: 'changed' };
}
