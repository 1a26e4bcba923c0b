// Bearer, scope and context checks of the management API (CONTRACT §4), in that order.
import type { Context, Next } from 'koa';
import type Provider from 'oidc-provider';
import type { Pool } from 'pg';
import type { ClientType } from '../../entities/index.js';
import type { Actor } from '../domain/audit.js';
import { UUID } from '../domain/clients.js';
import { findActiveClient } from '../domain/connectionLookup.js';
import { Forbidden } from '../domain/errors.js';
import { liveScope } from '../domain/permissions.js';
import { InvalidScopes, Unauthorized } from './errors.js';

export interface Caller {
  clientId: string;
  clientType: ClientType;
  /** The token's scopes narrowed to the client's permissions as they are now (CONTRACT §3). */
  scopes: Set<string>;
  accountId: string | undefined;
  actor: Actor;
}

const BEARER = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i;

/** Looks the opaque token up through oidc-provider's own models, then applies live permissions. */
export function bearer(provider: Provider, pool: Pool) {
  return async (ctx: Context, next: Next) => {
    const match = BEARER.exec(ctx.get('authorization'));
    if (!match) throw new Unauthorized();
    const value = match[1];
    // Machines call the API with client_credentials tokens: look that model up first, a user's token second.
    const token = (await provider.ClientCredentials.find(value)) ?? (await provider.AccessToken.find(value));
    if (!token || token.isExpired) throw new Unauthorized();
    const client = await findActiveClient(pool, token.clientId!);
    if (!client) throw new Unauthorized();
    const accountId = (token as { accountId?: string }).accountId;
    const caller: Caller = {
      clientId: client.client_id,
      clientType: client.client_type,
      scopes: new Set(liveScope(token.scope ?? '', client.permissions).split(' ').filter(Boolean)),
      accountId,
      actor: accountId
        ? { type: 'user', id: accountId, requestId: ctx.state.requestId ?? null }
        : { type: 'client', id: client.client_id, requestId: ctx.state.requestId ?? null },
    };
    ctx.state.caller = caller;
    await next();
  };
}

export function callerOf(ctx: Context): Caller {
  return ctx.state.caller as Caller;
}

/** The route needs any one of `scopes`; an empty list means any valid token. */
export function requireScope(scopes: readonly string[]) {
  return async (ctx: Context, next: Next) => {
    const caller = callerOf(ctx);
    if (scopes.length && !scopes.some((s) => caller.scopes.has(s))) throw new InvalidScopes();
    await next();
  };
}

/** ADMIN may address every client; any other type only its own id (CONTRACT §4 "Context"). */
export function assertMayAddress(caller: Caller, clientId: string): void {
  if (caller.clientType !== 'ADMIN' && caller.clientId !== clientId) throw new Forbidden('forbidden');
}

/** Client ids are stored lower case when they are UUIDs (src/domain/clients.ts), so compare them that way. */
export function canonicalClientId(id: string): string {
  return UUID.test(id) ? id.toLowerCase() : id;
}

/** The path's client id as validated (ctx.state.params) or as routed, canonical. */
export function addressedClientId(ctx: Context, param = 'id'): string {
  const params = (ctx.state.params ?? (ctx as unknown as { params: Record<string, string> }).params) as Record<string, string>;
  return canonicalClientId(params[param]);
}

export function ownClient(param: string) {
  return async (ctx: Context, next: Next) => {
    assertMayAddress(callerOf(ctx), addressedClientId(ctx, param));
    await next();
  };
}

export function adminOnly() {
  return async (ctx: Context, next: Next) => {
    if (callerOf(ctx).clientType !== 'ADMIN') throw new Forbidden('forbidden');
    await next();
  };
}
