// The only code that revokes tokens: a revoked token's row is gone, so no instance can find it (CONTRACT §3).
import type { EntityManager } from 'typeorm';

/** Every code, access token, refresh token and client-credentials token issued through one connection. */
export async function revokeConnectionTokens(manager: EntityManager, connectionId: string): Promise<void> {
  await manager.query('DELETE FROM oidc_payloads WHERE connection_id = $1', [connectionId]);
}

/** Everything issued to a client through any of its connections, and its grants. */
export async function revokeClientTokens(manager: EntityManager, clientId: string): Promise<void> {
  await manager.query('DELETE FROM oidc_payloads WHERE client_id = $1', [clientId]);
}
