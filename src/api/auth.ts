// Bearer, scope and context checks of the management API (CONTRACT §4), in that order.
import type { Context, Next } from 'koa';
import type { Pool } from 'pg';
import type { Actor } from '../domain/audit.js';
import { canonicalClientId } from '../domain/clients.js';
import { liveScope } from '../domain/scopePolicy.js';
import { type CallerClient, assertAdmin, assertMayAddress, assertPrintService } from '../domain/visibility.js';
import { findBearerToken } from '../oidc/tokenStore.js';
import { checkDpopProof } from './dpop.js';
import { InvalidScopes, Unauthorized } from './errors.js';

export interface Caller extends CallerClient {
  /** The token's scopes narrowed to the client's permissions and the user's membership as they are now (CONTRACT §3, §8). */
  scopes: Set<string>;
  accountId: string | undefined;
  actor: Actor;
}

const AUTHORIZATION = /^(Bearer|DPoP) ([A-Za-z0-9\-._~+/]{1,512}=*)$/i;

/** The opaque token (either access token model) in one indexed query with its client and membership. */
export function bearer(pool: Pool, issuer: string) {
  return async (ctx: Context, next: Next) => {
    const match = AUTHORIZATION.exec(ctx.get('authorization'));
    if (!match) throw new Unauthorized();
    const scheme = match[1].toLowerCase();
    const value = match[2];
    const token = await findBearerToken(pool, value);
    if (!token) throw new Unauthorized();
    const jkt = token.payload.jkt;
    if (typeof jkt === 'string') {
      // A DPoP-bound token is never a plain bearer token (RFC 9449 §7.1).
      const proof = ctx.get('dpop');
      if (scheme !== 'dpop' || !proof || !(await checkDpopProof(pool, {
        proof, method: ctx.method, url: `${issuer}${ctx.path}`, accessToken: value, jkt,
      }))) throw new Unauthorized('dpop');
    } else if (scheme !== 'bearer') {
      throw new Unauthorized('dpop');
    }
    const accountId = typeof token.payload.accountId === 'string' ? token.payload.accountId : undefined;
    const scope = liveScope(token.payload.scope, {
      clientPermissions: token.permissions ?? [], membership: accountId ? token.membership : undefined,
    });
    const requestId = ctx.state.requestId ?? null;
    const caller: Caller = {
      clientId: token.client_id,
      clientType: token.client_type!,
      scopes: new Set(scope.split(' ').filter(Boolean)),
      accountId,
      actor: accountId ? { type: 'user', id: accountId, requestId } : { type: 'client', id: token.client_id, requestId },
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

/** The path's client id as validated (ctx.state.params) or as routed, canonical. */
export function addressedClientId(ctx: Context, param = 'id'): string {
  const params = (ctx.state.params ?? (ctx as unknown as { params: Record<string, string> }).params) as Record<string, string>;
  return canonicalClientId(params[param]);
}

/** CONTRACT §4 "Context": a non-ADMIN caller may address only its own client. */
export function ownClient(param: string) {
  return async (ctx: Context, next: Next) => {
    assertMayAddress(callerOf(ctx), addressedClientId(ctx, param));
    await next();
  };
}

/** Doors reserved to one client type (src/domain/visibility.ts). */
export function onlyFor(type: 'ADMIN' | 'PRINT_SERVICE') {
  const check = type === 'ADMIN' ? assertAdmin : assertPrintService;
  return async (ctx: Context, next: Next) => {
    check(callerOf(ctx));
    await next();
  };
}
