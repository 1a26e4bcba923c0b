// Memberships (CONTRACT §2, §8): the clients a user may sign in through and the scopes the user may grant there.
// Removing one revokes what the user holds at that client in the same transaction (revocation.ts); narrowing one
// revokes nothing, as tokens are checked against the membership as it is now (scopePolicy.ts).
import type { EntityManager } from 'typeorm';
import { type Actor, recordAudit } from './audit.js';
import { NotFound } from './errors.js';
import { assertKnownPermissions } from './permissions.js';
import { lockUser, revokeMembership } from './revocation.js';
import type { MembershipInput } from './users.js';

/**
 * Creates or replaces the user's membership of a client (the scopes the user may grant there). Narrowed scopes are
 * live at once without revoking anything: tokens are checked against the membership as it is now (scopePolicy.ts).
 */
export async function putMembership(
  manager: EntityManager, actor: Actor, userId: string, clientId: string, scopes: string[],
): Promise<{ created: boolean; membership: MembershipInput }> {
  const unique = [...new Set(scopes)];
  return manager.transaction(async (tx) => {
    if (!(await lockUser(tx, userId, clientId))) throw new NotFound();
    if (!(await tx.query('SELECT 1 FROM clients WHERE id = $1', [clientId])).length) throw new NotFound();
    await assertKnownPermissions(tx, unique, 'scopes');
    const rows: Array<{ created: boolean }> = await tx.query(
      `INSERT INTO memberships (user_id, client_id, scopes) VALUES ($1, $2, $3)
       ON CONFLICT (user_id, client_id) DO UPDATE SET scopes = EXCLUDED.scopes RETURNING (xmax = 0) AS created`,
      [userId, clientId, unique],
    );
    await tx.query('UPDATE users SET updated_at = now() WHERE id = $1', [userId]);
    await recordAudit(tx, actor, 'membership.put', { type: 'user', id: userId }, { client_id: clientId, scopes: unique });
    return { created: rows[0].created, membership: { client_id: clientId, scopes: unique } };
  });
}

/** Removes a membership: the user's grant, codes and tokens at that client are revoked at once (CONTRACT §8). */
export async function deleteMembership(manager: EntityManager, actor: Actor, userId: string, clientId: string): Promise<void> {
  await manager.transaction(async (tx) => {
    if (!(await lockUser(tx, userId, clientId))) throw new NotFound();
    const rows: unknown[] = await tx.query(
      'WITH gone AS (DELETE FROM memberships WHERE user_id = $1 AND client_id = $2 RETURNING 1) SELECT * FROM gone', [userId, clientId],
    );
    if (!rows.length) throw new NotFound();
    await revokeMembership(tx, userId, clientId);
    await tx.query('UPDATE users SET updated_at = now() WHERE id = $1', [userId]);
    await recordAudit(tx, actor, 'membership.delete', { type: 'user', id: userId }, { client_id: clientId });
  });
}

