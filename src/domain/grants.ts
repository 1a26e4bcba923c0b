// What a user has allowed (CONTRACT §8 grants, §11 /account): the clients the user granted access at consent, with the
// scopes, and revoking one. The grants are oidc-provider's Grant rows; revoking goes through revocation.ts. Audit is
// the caller's (the API, the console and /account name different actors).
import type { EntityManager } from 'typeorm';
import { revokeAccountGrants } from './revocation.js';

export interface UserGrant {
  client_id: string;
  client_name: string;
  scopes: string[];
  granted_at: string;
}

/** The user's live grants, one per client (several consents at one client merge), oldest first. */
export async function listUserGrants(manager: EntityManager, userId: string): Promise<UserGrant[]> {
  const rows: Array<{ client_id: string; client_name: string; scope: string | null; iat: string | null }> = await manager.query(
    `SELECT p.client_id, c.name AS client_name, p.payload->'openid'->>'scope' AS scope, p.payload->>'iat' AS iat
     FROM oidc_payloads p JOIN clients c ON c.id = p.client_id
     WHERE p.account_id = $1 AND p.model = 'Grant' AND (p.expires_at IS NULL OR p.expires_at > now())`,
    [userId],
  );
  const byClient = new Map<string, { client_id: string; client_name: string; scopes: Set<string>; iat: number }>();
  for (const r of rows) {
    const iat = Number(r.iat ?? 0);
    const entry = byClient.get(r.client_id) ?? { client_id: r.client_id, client_name: r.client_name, scopes: new Set<string>(), iat };
    for (const s of (r.scope ?? '').split(' ').filter(Boolean)) entry.scopes.add(s);
    entry.iat = Math.min(entry.iat, iat);
    byClient.set(r.client_id, entry);
  }
  return [...byClient.values()]
    .sort((a, b) => a.iat - b.iat || a.client_id.localeCompare(b.client_id))
    .map((g) => ({ client_id: g.client_id, client_name: g.client_name, scopes: [...g.scopes], granted_at: new Date(g.iat * 1000).toISOString() }));
}

/** Revokes the user's grant to a client and every code and token issued under it; false when there was none. */
export async function revokeUserGrant(manager: EntityManager, userId: string, clientId: string): Promise<boolean> {
  return (await revokeAccountGrants(manager, userId, clientId)) > 0;
}
