// Who is signed in to the console and what they may do (CONTRACT §7): the session's user, its live scopes (the
// ADMIN client's permissions ∩ the membership, src/domain/consoleSessions.ts) and the gate on a scope.
import type { Context, Next } from 'koa';
import Tokens from 'csrf';
import type { Actor } from '../domain/audit.js';
import type { ConsoleSession } from '../domain/consoleSessions.js';

export const csrfTokens = new Tokens();

export interface SignedIn extends ConsoleSession {
  sessionId: string;
}

export function signedIn(ctx: Context): SignedIn {
  return ctx.state.console as SignedIn;
}

export function actorOf(ctx: Context): Actor & { id: string } {
  return { type: 'user', id: signedIn(ctx).user.id, requestId: ctx.state.requestId ?? null };
}

/** A signed-in user without the scope a page or action needs. */
export class MissingScope extends Error {
  constructor(readonly scopes: readonly string[]) {
    super(`needs ${scopes.join(' or ')}`);
  }
}

/** The signed-in user holds any one of `scopes` now (the live set, CONTRACT §3 "Permissions are live"). */
export function may(ctx: Context, ...scopes: readonly string[]): boolean {
  const state = ctx.state.console as SignedIn | undefined;
  return !!state && scopes.some((s) => state.scopes.has(s));
}

/** The page or action needs any one of `scopes`; without it the user gets a 403 page that names them. */
export function need(...scopes: string[]) {
  return async (ctx: Context, next: Next) => {
    if (!may(ctx, ...scopes)) throw new MissingScope(scopes);
    await next();
  };
}
