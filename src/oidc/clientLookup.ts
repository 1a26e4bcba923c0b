// The connection-aware client lookup (the heart of Gatehouse). oidc-provider asks for a client by id; we
// answer with the metadata of the one connection that this request is about (FINDINGS: Provider.ctx):
//   - a request carrying the client's secret gets the connection owning that secret (token, introspection,
//     revocation endpoints); for a code exchange it must also own the exchange's redirect_uri (CONTRACT §3);
//   - the authorization endpoint gets the connection that registered the request's redirect_uri;
//   - anything else (userinfo, end session) gets the client without a usable credential.
import type { Pool } from 'pg';
import Provider, { errors } from 'oidc-provider';
import type { ClientMetadata } from 'oidc-provider';
import {
  type ClientRecord, type ConnectionCredential, findActiveClient, findByRedirectUri, findBySecretHash, findBySecretHashWith,
} from '../domain/connectionLookup.js';
import { IDENTITY_SCOPES } from '../domain/permissions.js';
import type { Secrets } from '../domain/secrets.js';
import { READ_AHEAD_SQL, type ReadAheadRow, primeReadAhead, readAheadPlan } from './adapter.js';

/** Custom client metadata that the rest of Gatehouse reads off `ctx.oidc.client` (camelCased there). */
export const CLIENT_EXTRA_METADATA = ['connection_id', 'consumer_id', 'client_type', 'permissions'];

// Never equal to an HMAC, so a client without a matching credential can never authenticate.
const NO_SECRET = '!';

interface RequestView {
  route?: string;
  params?: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
}

/** The secret this request presents for `clientId` (client_secret_post or client_secret_basic), if any. */
function presentedSecret(req: RequestView, clientId: string): string | undefined {
  const params = req.params ?? {};
  if (typeof params.client_secret === 'string') {
    return params.client_id === undefined || params.client_id === clientId ? params.client_secret : undefined;
  }
  const header = req.headers.authorization;
  if (typeof header !== 'string' || !/^basic /i.test(header)) return undefined;
  const basic = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = basic.indexOf(':');
  if (colon === -1) return undefined;
  try {
    // RFC 6749 §2.3.1: both parts are form-urlencoded.
    const id = decodeURIComponent(basic.slice(0, colon).replace(/\+/g, '%20'));
    return id === clientId ? decodeURIComponent(basic.slice(colon + 1).replace(/\+/g, '%20')) : undefined;
  } catch {
    return undefined;
  }
}

function connectionMetadata(cred: ConnectionCredential, withScope: boolean): ClientMetadata {
  const self = cred.consumer_id === cred.client_id;
  const code = cred.redirect_uri !== null;
  return {
    client_id: cred.client_id,
    client_secret: cred.secret_hash,
    token_endpoint_auth_method: 'client_secret_basic',
    redirect_uris: code ? [cred.redirect_uri!] : [],
    response_types: code ? ['code'] : [],
    grant_types: [...(code ? ['authorization_code', 'refresh_token'] : []), ...(self ? ['client_credentials'] : [])],
    // At the authorization endpoint scopes are narrowed silently at consent, so no allow-list there;
    // at the token endpoint the allow-list makes client_credentials answer invalid_scope (CONTRACT §3).
    scope: withScope ? [...IDENTITY_SCOPES, ...cred.permissions].join(' ') : undefined,
    connection_id: cred.connection_id,
    consumer_id: cred.consumer_id,
    client_type: cred.client_type,
    permissions: cred.permissions,
  };
}

function credentialless(client: ClientRecord): ClientMetadata {
  return {
    client_id: client.client_id,
    client_secret: NO_SECRET,
    token_endpoint_auth_method: 'client_secret_basic',
    redirect_uris: [],
    response_types: [],
    grant_types: ['client_credentials'],
    client_type: client.client_type,
    permissions: client.permissions,
  };
}

/**
 * `knownScopes()` is the provider's own `scopes` set (see scopes.ts): every permission of a client we answer
 * for is registered there before oidc-provider looks at the request's scopes; it is bounded by the catalog.
 */
export function clientLookupAdapter(pool: Pool, secrets: Secrets, knownScopes: () => Set<string>) {
  const register = (permissions: string[]) => {
    const scopes = knownScopes();
    for (const p of permissions) if (!scopes.has(p)) scopes.add(p);
  };
  const issuing = new IssuingCredentials();
  return {
    /**
     * The adapter could not store a token (adapter.ts `refused`): the credential this request used is stale.
     * It is forgotten, and the request gets the error a fresh lookup gives: invalid_scope when the secret still
     * works but a permission the token asked for was removed, otherwise invalid_client.
     */
    async refused(ctx: object | undefined): Promise<never> {
      const client = (ctx as { oidc?: { client?: { clientId: string; clientSecret?: string } } } | undefined)?.oidc?.client;
      if (client?.clientSecret) {
        issuing.forget(client.clientId, client.clientSecret);
        const params = (ctx as { oidc?: { params?: Record<string, unknown> } }).oidc?.params ?? {};
        const fresh = await findBySecretHash(pool, client.clientId, client.clientSecret);
        if (fresh && params.grant_type === 'client_credentials') assertClientScope(params.scope, fresh.permissions);
      }
      throw new errors.InvalidClientAuth();
    },

    async find(id: string): Promise<ClientMetadata | undefined> {
      if (typeof id !== 'string' || id.length === 0 || id.length > 128) return undefined;
      const ctx = Provider.ctx;
      const req: RequestView = {
        route: ctx?.oidc?.route, params: ctx?.oidc?.params as Record<string, unknown> | undefined, headers: ctx?.headers ?? {},
      };
      const secret = ctx ? presentedSecret(req, id) : undefined;
      if (secret !== undefined) {
        const { params = {}, route } = req;
        const hash = secrets.hash(secret);
        rememberHash(secret, hash);
        // The code, refresh token or token the request carries comes in the same round trip (adapter.ts).
        const plan = readAheadPlan(route, params);
        const clientCredentials = route === 'token' && params.grant_type === 'client_credentials';
        let cred: ConnectionCredential | null;
        if (clientCredentials) {
          // A remembered credential that lacks an asked-for permission may be older than the permission: look again.
          const remembered = issuing.get(id, hash);
          cred = remembered && refusedScopes(params.scope, remembered.permissions).length === 0
            ? remembered : await findBySecretHash(pool, id, hash);
          if (cred !== remembered) {
            if (cred) issuing.remember(cred);
            else issuing.forget(id, hash);
          }
        } else if (plan) {
          const found = await findBySecretHashWith<ReadAheadRow[]>(pool, id, hash, {
            name: 'gh_conn_by_secret_read_ahead', sql: READ_AHEAD_SQL, values: [plan.models, plan.id],
          });
          if (found && ctx) primeReadAhead(ctx, plan, found.also);
          cred = found;
        } else {
          cred = await findBySecretHash(pool, id, hash);
        }
        if (!cred) return undefined;
        if (route === 'token' && params.grant_type === 'authorization_code' && params.redirect_uri !== cred.redirect_uri) {
          return undefined; // the secret's connection must own the exchange's redirect_uri (CONTRACT §3)
        }
        if (clientCredentials) assertClientScope(params.scope, cred.permissions);
        register(cred.permissions);
        return connectionMetadata(cred, true);
      }
      if ((req.route === 'authorization' || req.route === 'resume') && req.params?.client_id === id
        && typeof req.params.redirect_uri === 'string') {
        const cred = await findByRedirectUri(pool, id, req.params.redirect_uri);
        if (cred) {
          register(cred.permissions);
          return connectionMetadata(cred, false);
        }
      }
      // No credential: an unregistered redirect_uri gets oidc-provider's error page, never a redirect.
      const client = await findActiveClient(pool, id);
      return client ? credentialless(client) : undefined;
    },
    async upsert(): Promise<void> {
      throw new Error('clients are managed through Gatehouse, not dynamic registration');
    },
    async destroy(): Promise<void> {
      throw new Error('clients are managed through Gatehouse, not dynamic registration');
    },
  };
}

/**
 * The connections recently authenticated for client_credentials, by (client id, HMAC of the secret): lets the
 * grant skip its lookup round trip. It can never let a stale credential work: the statement that stores the
 * token re-checks the secret, the block and the permissions (adapter.ts `gh_oidc_upsert_guarded`), and when
 * it refuses, the request fails and the entry is forgotten. Only found credentials are kept (a wrong secret is
 * always looked up), for at most a minute, at most MAX entries.
 */
class IssuingCredentials {
  static readonly TTL_MS = 60_000;
  static readonly MAX = 10_000;
  readonly #entries = new Map<string, { cred: ConnectionCredential; until: number }>();

  get(clientId: string, hash: string): ConnectionCredential | undefined {
    const key = `${clientId}\n${hash}`;
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    if (entry.until > Date.now()) return entry.cred;
    this.#entries.delete(key);
    return undefined;
  }

  remember(cred: ConnectionCredential): void {
    const key = `${cred.client_id}\n${cred.secret_hash}`;
    this.#entries.delete(key);
    if (this.#entries.size >= IssuingCredentials.MAX) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, { cred, until: Date.now() + IssuingCredentials.TTL_MS });
  }

  forget(clientId: string, hash: string): void {
    this.#entries.delete(`${clientId}\n${hash}`);
  }
}

/** CONTRACT §3: a client_credentials scope must lie within the client's permissions, else invalid_scope. */
function assertClientScope(scope: unknown, permissions: string[]): void {
  const refused = refusedScopes(scope, permissions);
  if (refused.length) throw new errors.InvalidScope('requested scope is not allowed', refused.join(' '));
}

function refusedScopes(scope: unknown, permissions: string[]): string[] {
  if (typeof scope !== 'string') return []; // oidc-provider rejects non-strings itself
  const allowed = new Set([...IDENTITY_SCOPES, ...permissions]);
  return scope.split(' ').filter((s) => s && !allowed.has(s));
}

// The HMAC of the secret this request presented, computed once for the lookup and the comparison.
const requestHash = new WeakMap<object, { secret: string; hash: string }>();

function rememberHash(secret: string, hash: string): void {
  const ctx = Provider.ctx;
  if (ctx) requestHash.set(ctx, { secret, hash });
}

/** Compare the presented secret's HMAC with the connection's, in constant time (FINDINGS). */
export function installSecretComparison(provider: Provider, secrets: Secrets): void {
  provider.Client.prototype.compareClientSecret = async function compareClientSecret(this: { clientSecret?: string }, actual: string) {
    const ctx = Provider.ctx;
    const known = ctx && requestHash.get(ctx);
    return known?.secret === actual ? secrets.hashMatches(known.hash, this.clientSecret) : secrets.matches(actual, this.clientSecret);
  };
}
