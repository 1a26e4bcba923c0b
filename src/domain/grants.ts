// What a user has allowed (CONTRACT §8 grants, §11 /account): the clients holding a grant of the user, with the
// scopes granted, and revoking one client's grants with every code and token issued under them (revocation.ts).
import type { EntityManager } from 'typeorm';
import { revokeGrant } from './revocation.js';

export interface UserGrant {
  client_id: string;
  client_name: string;
  scopes: string[];
  granted_at: string;
}

/** One entry per client, scopes merged over the user's grants there; an indexed query on (account_id, client_id). */
export async function listUserGrants(manager: EntityManager, userId: string): Promise<UserGrant[]> {
  const rows: Array<{ client_id: string; client_name: string | null; scope: string | null; iat: string | null }> = await manager.query(
    `SELECT p.client_id, c.name AS client_name, p.payload->'openid'->>'scope' AS scope, p.payload->>'iat' AS iat
     FROM oidc_payloads p LEFT JOIN clients c ON c.id = p.client_id
     WHERE p.account_id = $1 AND p.model = 'Grant' AND (p.expires_at IS NULL OR p.expires_at > now())
     ORDER BY p.client_id`, [userId],
  );
  const byClient = new Map<string, { name: string; scopes: Set<string>; iat: number }>();
  for (const row of rows) {
    const entry = byClient.get(row.client_id) ?? { name: row.client_name ?? row.client_id, scopes: new Set<string>(), iat: Infinity };
    for (const s of (row.scope ?? '').split(' ').filter(Boolean)) entry.scopes.add(s);
    entry.iat = Math.min(entry.iat, Number(row.iat ?? Date.now() / 1000));
    byClient.set(row.client_id, entry);
  }
  return [...byClient].map(([clientId, e]) => ({
    client_id: clientId, client_name: e.name, scopes: [...e.scopes].sort(), granted_at: new Date(e.iat * 1000).toISOString(),
  }));
}

/** Revokes every grant of the user at the client and what was issued under it; false when there was none. */
export async function revokeUserGrant(manager: EntityManager, userId: string, clientId: string): Promise<boolean> {
  const grants: Array<{ id: string }> = await manager.query(
    `SELECT id FROM oidc_payloads WHERE account_id = $1 AND client_id = $2 AND model = 'Grant'`, [userId, clientId],
  );
  for (const g of grants) await revokeGrant(manager, g.id);
  return grants.length > 0;
}
