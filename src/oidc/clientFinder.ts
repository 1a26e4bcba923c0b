// The connection-aware client lookup (the heart of Gatehouse). oidc-provider asks for a client by id; the finder
// answers with the metadata of the one connection this request is about, as connectionChoice.ts decides, found by
// one indexed query (CONTRACT §3). What it found is kept in the request's state for binding and guarded issuing.
import type { Pool } from 'pg';
import Provider, { errors } from 'oidc-provider';
import type { ClientMetadata } from 'oidc-provider';
import {
  type ConnectionCredential, findActiveClient, findByPostLogoutRedirectUri, findByRedirectUri, findBySecretHash,
} from '../domain/connectionLookup.js';
import { refusedMachineScopes } from '../domain/scopePolicy.js';
import type { Secrets } from '../domain/secrets.js';
import { connectionMetadata, credentiallessMetadata } from './clientMetadata.js';
import { type SecretLookup, chooseConnectionLookup } from './connectionChoice.js';
import { presentedCredentials } from './credentials.js';
import { type OidcRequest, currentRequest } from './requestState.js';

export interface SecretRequest {
  clientId: string;
  hash: string;
  lookup: SecretLookup;
  route: string | undefined;
  params: Record<string, unknown>;
  state: OidcRequest;
}

/** Finds the connection owning a presented secret; decorators (readAhead.ts, credentialMemory.ts) wrap it. */
export interface ConnectionSource {
  bySecret(request: SecretRequest): Promise<ConnectionCredential | null>;
  /** The credential failed a guarded issue: whatever remembered it forgets it. */
  forget?(clientId: string, hash: string): void;
}

export function connectionSource(pool: Pool): ConnectionSource {
  return { bySecret: ({ clientId, hash }) => findBySecretHash(pool, clientId, hash) };
}

/** CONTRACT §3: a client_credentials scope must lie within the client's permissions, else invalid_scope. */
function assertMachineScope(scope: unknown, permissions: string[]): void {
  const refused = refusedMachineScopes(scope, permissions);
  if (refused.length) throw new errors.InvalidScope('requested scope is not allowed', refused.join(' '));
}

export interface ClientFinderDeps {
  pool: Pool;
  secrets: Secrets;
  source: ConnectionSource;
  /** oidc-provider's own `scopes` set (scopes.ts): every permission of a client answered for is registered there. */
  knownScopes: () => Set<string>;
}

export function clientFinder({ pool, secrets, source, knownScopes }: ClientFinderDeps) {
  const register = (permissions: string[]) => {
    const scopes = knownScopes();
    for (const p of permissions) if (!scopes.has(p)) scopes.add(p);
  };

  async function bySecret(id: string, lookup: SecretLookup, request: NonNullable<ReturnType<typeof currentRequest>>) {
    const { state, route, params } = request;
    const hash = secrets.hash(lookup.secret);
    state.presentedHash = { secret: lookup.secret, hash };
    const cred = await source.bySecret({ clientId: id, hash, lookup, route, params, state });
    if (!cred) return undefined;
    // The secret's connection must own the exchange's redirect_uri (CONTRACT §3 "Code exchange").
    if (lookup.purpose === 'code_exchange' && lookup.redirectUri !== cred.redirect_uri) return undefined;
    if (lookup.purpose === 'machine') assertMachineScope(lookup.scope, cred.permissions);
    state.connection = cred;
    register(cred.permissions);
    return connectionMetadata(cred, true);
  }

  return {
    async find(id: string): Promise<ClientMetadata | undefined> {
      if (typeof id !== 'string' || id.length === 0 || id.length > 128) return undefined;
      const request = currentRequest();
      const state = request?.state;
      if (state && state.credentials === undefined) {
        state.credentials = presentedCredentials(request.params, Provider.ctx?.headers.authorization);
      }
      const lookup = chooseConnectionLookup(id, { route: request?.route, params: request?.params ?? {}, credentials: state?.credentials ?? null });
      if (lookup.by === 'secret' && request) return bySecret(id, lookup, request);
      if (lookup.by === 'redirect_uri') {
        const cred = await findByRedirectUri(pool, id, lookup.redirectUri);
        if (cred) {
          if (state) state.connection = cred;
          register(cred.permissions);
          return connectionMetadata(cred, false);
        }
      }
      if (lookup.by === 'post_logout_redirect_uri') {
        // Only the matching connection's URI is allowed; none matching → oidc-provider's 400 "not registered" page.
        const cred = await findByPostLogoutRedirectUri(pool, id, lookup.postLogoutRedirectUri);
        if (cred) return { ...connectionMetadata(cred, false), post_logout_redirect_uris: [lookup.postLogoutRedirectUri] };
      }
      // No credential: an unregistered redirect_uri gets oidc-provider's error page, never a redirect.
      const client = await findActiveClient(pool, id);
      return client ? credentiallessMetadata(client) : undefined;
    },

    /**
     * A guarded issue refused the request's credential (tokenStore.ts): it is stale. It is forgotten, and the
     * request gets what a fresh lookup gives: invalid_scope when the secret still works but a permission the
     * client_credentials token asked for was removed, otherwise invalid_client.
     */
    async refused(state: OidcRequest, params: Record<string, unknown>): Promise<never> {
      const cred = state.connection;
      const hash = state.presentedHash?.hash;
      if (cred && hash) {
        source.forget?.(cred.client_id, hash);
        const fresh = await findBySecretHash(pool, cred.client_id, hash);
        if (fresh && params.grant_type === 'client_credentials') assertMachineScope(params.scope, fresh.permissions);
      }
      throw new errors.InvalidClientAuth();
    },

    async upsert(): Promise<void> {
      throw new Error('clients are managed through Gatehouse, not dynamic registration');
    },
    async destroy(): Promise<void> {
      throw new Error('clients are managed through Gatehouse, not dynamic registration');
    },
  };
}

export type ClientFinder = ReturnType<typeof clientFinder>;

/** Compares the presented secret's HMAC with the connection's, in constant time, hashing it once per request. */
export function installSecretComparison(provider: Provider, secrets: Secrets): void {
  provider.Client.prototype.compareClientSecret = async function compareClientSecret(this: { clientSecret?: string }, actual: string) {
    const known = currentRequest()?.state.presentedHash;
    return known?.secret === actual ? secrets.hashMatches(known.hash, this.clientSecret) : secrets.matches(actual, this.clientSecret);
  };
}
