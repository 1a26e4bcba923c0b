// oidc-provider silently drops requested scopes that are not in its `scopes` configuration, and it validates
// each client's `scope` metadata against it. Admins add permissions to the catalog at run time on any instance,
// so Gatehouse registers every permission of a client it answers for in that set before oidc-provider reads the
// request's scopes. The set is a private copy made at construction; weak_cache is where oidc-provider keeps it
// (pinned version, no exports map; test/oauth-client-credentials.test.ts fails if this ever stops working).
import type Provider from 'oidc-provider';
// @ts-expect-error internal module without type declarations
import instance from 'oidc-provider/lib/helpers/weak_cache.js';

export function providerScopes(provider: Provider): Set<string> {
  const scopes = (instance as (p: Provider) => { configuration: { scopes: Set<string> } })(provider).configuration.scopes;
  if (!(scopes instanceof Set)) throw new Error('oidc-provider internals changed: configuration.scopes is not a Set');
  return scopes;
}
