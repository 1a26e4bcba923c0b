// Which scopes a token may carry (CONTRACT §3): the one home of scope narrowing. Identity scopes describe the user,
// not an API, and need no permission; every other scope must be a permission the client holds and, for a user's
// token, a scope of the user's membership of that client. The same rules decide at consent, at the token endpoint,
// at /api, at introspection and in the console.

export const IDENTITY_SCOPES = ['openid', 'profile', 'email', 'offline_access'] as const;

const IDENTITY = new Set<string>(IDENTITY_SCOPES);

export function isIdentityScope(scope: string): boolean {
  return IDENTITY.has(scope);
}

/** The values of a space-delimited `scope` (RFC 6749 §3.3); anything but a string has none. */
export function scopeValues(scope: unknown): string[] {
  return typeof scope === 'string' ? scope.split(' ').filter(Boolean) : [];
}

/** The permissions among a scope's values: identity scopes are no client permission. */
export function permissionsIn(scope: unknown): string[] {
  return scopeValues(scope).filter((s) => !IDENTITY.has(s));
}

/**
 * Who holds a token's scopes now. `membership` is the user's membership scopes at the client: `undefined` for a
 * machine's token (client_credentials), `null` for a user who is no longer a member (no permission survives).
 */
export interface ScopeHolder {
  clientPermissions: readonly string[];
  membership?: readonly string[] | null;
}

function allows(holder: ScopeHolder): (scope: string) => boolean {
  const held = new Set(holder.clientPermissions);
  const member = holder.membership === undefined ? undefined : new Set(holder.membership ?? []);
  return (s) => IDENTITY.has(s) || (held.has(s) && (member === undefined || member.has(s)));
}

/** At consent: requested ∩ (identity ∪ (client permissions ∩ membership)), silently narrowed, in request order. */
export function grantableScopes(requested: readonly string[], holder: ScopeHolder): string[] {
  return requested.filter(allows(holder));
}

/** A token's scope as it stands now (CONTRACT §3 "Permissions are live", §8 "Memberships are live"). */
export function liveScope(scope: unknown, holder: ScopeHolder): string {
  return scopeValues(scope).filter(allows(holder)).join(' ');
}

/** client_credentials: the requested values outside identity ∪ permissions, which make the request invalid_scope. */
export function refusedMachineScopes(scope: unknown, clientPermissions: readonly string[]): string[] {
  const allowed = allows({ clientPermissions });
  return scopeValues(scope).filter((s) => !allowed(s));
}

/** The allow-list oidc-provider checks client_credentials scopes against (a client's `scope` metadata). */
export function requestableScope(clientPermissions: readonly string[]): string {
  return [...IDENTITY_SCOPES, ...clientPermissions].join(' ');
}
