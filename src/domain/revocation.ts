// The only code that revokes: a revoked code, token, grant or session row is gone, so no instance can find it
// (CONTRACT §3). Each function runs inside the caller's transaction, after the change that makes it necessary
// has row-locked what issuing re-checks (src/oidc/tokenStore.ts GUARD), so nothing issued alongside survives.
import type { EntityManager } from 'typeorm';

/** Every code, access token, refresh token and client-credentials token issued through one connection. */
export async function revokeConnectionTokens(manager: EntityManager, connectionId: string): Promise<void> {
  await manager.query('DELETE FROM oidc_payloads WHERE connection_id = $1', [connectionId]);
}

/** Everything issued to a client through any of its connections, and its grants. */
export async function revokeClientTokens(manager: EntityManager, clientId: string): Promise<void> {
  await manager.query('DELETE FROM oidc_payloads WHERE client_id = $1', [clientId]);
}

/**
 * A grant and every code and token issued under it (a replayed code or refresh token, RFC 6749 §4.1.2, RFC 9700
 * §4.14.2). The grant's row is locked first, in its own statement: an issue in flight holds it share-locked and is
 * waited for, so the delete that follows sees its token; an issue that comes later finds no grant and stores nothing.
 */
export async function revokeGrant(manager: EntityManager, grantId: string): Promise<void> {
  await manager.transaction(async (tx) => {
    await tx.query(`SELECT 1 FROM oidc_payloads WHERE model = 'Grant' AND id = $1 FOR UPDATE`, [grantId]);
    await tx.query(`DELETE FROM oidc_payloads WHERE grant_id = $1 OR (model = 'Grant' AND id = $1)`, [grantId]);
  });
}

/**
 * Locks what a user holds (at one client, or everywhere) before the change that revokes it, in the order in which a
 * refresh or code exchange in flight locks it: its grant, then the code or token it redeems (tokenStore.ts
 * `grantFirst`), then the user's and membership's rows. Grants last deadlocked against refreshes in flight (the
 * DELETE answered 500: test/attacks-users-account.test.ts "parallel DELETE membership vs refresh"). Taking the
 * user's row first and the tokens after deadlocked against such a request (test/users-revocation.test.ts
 * "refreshes racing a block"); in this order the request either finishes first and its token is deleted, or waits
 * and then finds its token gone.
 */
export async function lockAccountRows(manager: EntityManager, userId: string, clientId?: string): Promise<void> {
  await manager.query(
    `SELECT 1 FROM oidc_payloads WHERE account_id = $1 ${clientId !== undefined ? 'AND client_id = $2' : ''}
     ORDER BY model <> 'Grant', model, id FOR UPDATE`,
    clientId !== undefined ? [userId, clientId] : [userId],
  );
}

/**
 * The one order in which every change of a user locks: what the user holds (lockAccountRows, at one client or
 * everywhere), then the user's row. Membership changes, blocks, deletions, resets, password changes and "sign out
 * everywhere" all start here, so none of them holds the user's row while waiting for rows another holds before it
 * (a membership PUT or DELETE racing a user DELETE, or a reset racing one, deadlocked and answered 500). False when
 * there is no such user.
 */
export async function lockUser(manager: EntityManager, userId: string, clientId?: string): Promise<boolean> {
  await lockAccountRows(manager, userId, clientId);
  return (await manager.query('SELECT 1 FROM users WHERE id = $1 FOR UPDATE', [userId])).length > 0;
}

/**
 * A user blocked or deleted (CONTRACT §8): every session (the console's too), grant, code and token of the user, and
 * any password setup link (a blocked user sets no password; after an unblock an administrator issues a new link).
 */
export async function revokeUser(manager: EntityManager, userId: string): Promise<void> {
  await manager.query('DELETE FROM oidc_payloads WHERE account_id = $1', [userId]);
  await manager.query('DELETE FROM password_setups WHERE user_id = $1', [userId]);
  await manager.query('DELETE FROM console_sessions WHERE user_id = $1', [userId]);
  await manager.query('DELETE FROM account_sessions WHERE user_id = $1', [userId]);
}

/** A membership removed: the user's grant, codes and tokens at that client (their sessions stay). */
export async function revokeMembership(manager: EntityManager, userId: string, clientId: string): Promise<void> {
  await manager.query('DELETE FROM oidc_payloads WHERE account_id = $1 AND client_id = $2', [userId, clientId]);
}

/**
 * Every session of a user ends: at the authorization server, in the admin console and in /account (sign out
 * everywhere, a password reset or change); grants and tokens stay. `keepAccountSession` (the hash of an /account
 * session id) spares the session a password change was made from.
 */
export async function endSessions(manager: EntityManager, userId: string, keepAccountSession?: string): Promise<void> {
  await manager.query(`DELETE FROM oidc_payloads WHERE account_id = $1 AND model = 'Session'`, [userId]);
  await manager.query('DELETE FROM console_sessions WHERE user_id = $1', [userId]);
  await manager.query('DELETE FROM account_sessions WHERE user_id = $1 AND id_hash IS DISTINCT FROM $2', [userId, keepAccountSession ?? null]);
}

/**
 * A user's grants at one client and every code and token issued under them (CONTRACT §8 grants, /account). What they
 * hold there is locked first, in its own statement (lockAccountRows); returns how many grants there were.
 */
export async function revokeAccountGrants(manager: EntityManager, userId: string, clientId: string): Promise<number> {
  return manager.transaction(async (tx) => {
    await lockAccountRows(tx, userId, clientId);
    const gone: unknown[] = await tx.query(
      `WITH gone AS (DELETE FROM oidc_payloads WHERE account_id = $1 AND client_id = $2 RETURNING model)
       SELECT 1 FROM gone WHERE model = 'Grant'`, [userId, clientId],
    );
    return gone.length;
  });
}
