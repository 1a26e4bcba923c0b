// Who may sign in through a client (CONTRACT §3): an active user (not blocked, not deleted) with a membership of
// the client, which is not blocked. One rule in two forms, both built here: the query the login and consent pages
// and their form posts ask, and the condition inside the statement that stores a code or a token (src/oidc/
// tokenStore.ts), so that an existing session with an existing grant, or a refresh, gets nothing new either.
import type { EntityManager } from 'typeorm';

const UUID_TEXT = '^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$';

/** An account id (text, from an OIDC payload) as the users table's uuid; one that is not a UUID is no one (NULL). */
export function accountUuid(account: string): string {
  return `(CASE WHEN ${account} ~ '${UUID_TEXT}' THEN (${account})::uuid END)`;
}

/**
 * The membership row of a user who may sign in through a client. `account` and `client` are SQL expressions of
 * text (an account id that is not a UUID matches no one). With `lock`, the rows read are share-locked until the
 * statement's transaction ends: a block, a deletion or a membership removal in flight waits for it, or it waits for
 * them and then sees them (READ COMMITTED re-checks a locked row), so nothing is stored alongside one.
 */
function membershipOf(account: string, client: string, columns: string, lock: boolean): string {
  return `SELECT ${columns} FROM memberships m
    JOIN users u ON u.id = m.user_id AND NOT u.is_blocked
    JOIN clients c ON c.id = m.client_id AND NOT c.is_blocked
    WHERE m.user_id = ${accountUuid(account)} AND m.client_id = ${client}
    ${lock ? 'FOR SHARE OF m, u' : ''}`;
}

/** The SQL condition "this account may sign in through this client", share-locking what it read. */
export function maySignInCondition(account: string, client: string): string {
  return `EXISTS (${membershipOf(account, client, '1', true)})`;
}

/** The scopes the user may grant through this client, or null when the user may not sign in through it. */
export async function signInScopes(manager: EntityManager, userId: string, clientId: string): Promise<string[] | null> {
  const rows: Array<{ scopes: string[] }> = await manager.query(membershipOf('$1', '$2', 'm.scopes', false), [userId, clientId]);
  return rows[0]?.scopes ?? null;
}
