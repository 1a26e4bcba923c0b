// Introspection (RFC 7662) as CONTRACT §3 has it: only ADMIN clients and holders of token:introspect may ask; the
// answer's scope is the token's scope as it stands now (live permissions and membership) and it adds the
// connection's `client_type` and `consumer_id`.
import type { KoaContextWithOIDC } from 'oidc-provider';
import { liveScope } from '../domain/scopePolicy.js';
import { type GatehouseClient, gatehouseClient } from './clientMetadata.js';
import { oidcRequest } from './requestState.js';

export function mayIntrospect(client: GatehouseClient | undefined): boolean {
  return client?.client_type === 'ADMIN' || !!client?.permissions?.includes('token:introspect');
}

/** A client that may not introspect gets 403 (RFC 6750 §3.1, as RFC 7662 §2.3 points to); else the live answer. */
export async function introspectionAnswer(ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> {
  await next();
  if (ctx.oidc?.route !== 'introspection' || ctx.status !== 200 || !ctx.oidc.client) return;
  if (!mayIntrospect(gatehouseClient(ctx))) {
    ctx.status = 403;
    ctx.body = { error: 'insufficient_scope', error_description: 'this client may not introspect tokens' };
    return;
  }
  const body = ctx.body as Record<string, unknown>;
  if (!body?.active) return;
  const entities = ctx.oidc.entities as Record<string, { jti: string } | undefined>;
  const token = entities.AccessToken ?? entities.ClientCredentials ?? entities.RefreshToken;
  const facts = token && oidcRequest(ctx as unknown as { state: Record<string, unknown> }).tokens.get(token.jti);
  if (!facts) return;
  body.client_type = facts.clientType ?? undefined;
  body.consumer_id = facts.consumerId ?? undefined;
  if (typeof body.scope === 'string') {
    body.scope = liveScope(body.scope, { clientPermissions: facts.clientPermissions, membership: facts.membership }) || undefined;
  }
}
