// oidc-provider, configured (never forked): connection-aware clients, PostgreSQL storage, PKCE S256 only,
// login and consent through our own interaction pages (CONTRACT §3).
import type { Pool } from 'pg';
import Provider from 'oidc-provider';
import type { Configuration, KoaContextWithOIDC } from 'oidc-provider';
import type { EntityManager } from 'typeorm';
import type { Config } from '../config.js';
import { BUILTIN_PERMISSIONS, IDENTITY_SCOPES, liveScope } from '../domain/permissions.js';
import type { Secrets } from '../domain/secrets.js';
import { findUser } from '../domain/users.js';
import type { Logger } from '../log.js';
import { pgAdapterFactory, prefetchedAccount, tokenMetaOf } from './adapter.js';
import { CLIENT_EXTRA_METADATA, clientLookupAdapter, installSecretComparison } from './clientLookup.js';
import type { ProviderKeys } from './keys.js';
import { providerScopes } from './scopes.js';
import { renderErrorPage } from './views.js';

export interface ProviderDeps {
  config: Config;
  pool: Pool;
  manager: EntityManager;
  secrets: Secrets;
  keys: ProviderKeys;
  log: Logger;
}

/** ctx.oidc.client as Gatehouse fills it: extra metadata keeps its snake_case names. */
interface GatehouseClient {
  clientId: string;
  connection_id?: string;
  consumer_id?: string;
  client_type?: string;
  permissions?: string[];
}

export function createProvider({ config, pool, manager, secrets, keys, log }: ProviderDeps): Provider {
  let provider: Provider | undefined;
  // The adapter is first used after construction, when `provider` is set.
  const clients = clientLookupAdapter(pool, secrets, () => providerScopes(provider!));
  const Adapter = pgAdapterFactory(pool, { refused: (ctx) => clients.refused(ctx) });
  // oidc-provider constructs one adapter per model; the Client model gets the connection-aware lookup.
  function GatehouseAdapter(name: string) {
    return name === 'Client' ? clients : new Adapter(name);
  }

  const configuration: Configuration = {
    adapter: GatehouseAdapter as unknown as Configuration['adapter'],
    clients: [],
    jwks: keys.jwks as Configuration['jwks'],
    cookies: { keys: keys.cookieKeys },
    scopes: [...IDENTITY_SCOPES, ...BUILTIN_PERMISSIONS],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    responseTypes: ['code'],
    clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
    pkce: { required: () => true },
    allowOmittingSingleRegisteredRedirectUri: false,
    rotateRefreshToken: true,
    extraClientMetadata: { properties: CLIENT_EXTRA_METADATA, validator() {} },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        // RFC 7662 §2.1: only ADMIN clients and holders of token:introspect may ask.
        allowedPolicy: async (ctx) => mayIntrospect(ctx.oidc.client as unknown as GatehouseClient),
      },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      pushedAuthorizationRequests: { enabled: false },
    },
    ttl: {
      AccessToken: config.accessTokenTtl,
      ClientCredentials: config.accessTokenTtl,
      AuthorizationCode: config.codeTtl,
      RefreshToken: config.refreshTokenTtl,
      Grant: config.refreshTokenTtl,
      IdToken: 3600,
      Interaction: 3600,
      Session: 14 * 24 * 3600,
    },
    // Lets a relying party and introspection tell the connection a token came through (CONTRACT §3).
    extraTokenClaims: async (ctx) => {
      const client = ctx.oidc.client as unknown as GatehouseClient | undefined;
      return client ? { client_type: client.client_type, consumer_id: client.consumer_id } : undefined;
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: async (_ctx, sub) => {
      // At the token endpoint the account was read with the code or refresh token (adapter.ts read-ahead).
      const user = prefetchedAccount(sub) ?? await findUser(manager, sub);
      if (!user) return undefined;
      return {
        accountId: user.id,
        claims: async () => ({ sub: user.id, email: user.email, email_verified: false, name: user.name }),
      };
    },
    renderError: async (ctx, out) => {
      ctx.type = 'html';
      ctx.body = renderErrorPage(out as unknown as Record<string, string>);
    },
  };

  provider = new Provider(config.issuer, configuration);
  installSecretComparison(provider, secrets);
  provider.use(introspectionAnswer);
  provider.on('server_error', (ctx, err) => log.error({ err, path: ctx.path }, 'oidc-provider server error'));
  return provider;
}

function mayIntrospect(client: GatehouseClient | undefined): boolean {
  return client?.client_type === 'ADMIN' || !!client?.permissions?.includes('token:introspect');
}

/**
 * Introspection per CONTRACT §3: a client that may not introspect gets 403 (RFC 6750 §3.1, as RFC 7662 §2.3
 * points to); an active token's scope is narrowed to its client's permissions now; `client_type` and
 * `consumer_id` come from the connection the token was issued through.
 */
async function introspectionAnswer(ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> {
  await next();
  if (ctx.oidc?.route !== 'introspection' || ctx.status !== 200 || !ctx.oidc.client) return;
  if (!mayIntrospect(ctx.oidc.client as unknown as GatehouseClient)) {
    ctx.status = 403;
    ctx.body = { error: 'insufficient_scope', error_description: 'this client may not introspect tokens' };
    return;
  }
  const body = ctx.body as Record<string, unknown>;
  if (!body?.active) return;
  const entities = ctx.oidc.entities as Record<string, { jti: string } | undefined>;
  const token = entities.AccessToken ?? entities.ClientCredentials ?? entities.RefreshToken;
  const meta = token && tokenMetaOf(ctx, token.jti);
  if (!meta) return;
  body.client_type = meta.clientType ?? undefined;
  body.consumer_id = meta.consumerId ?? undefined;
  if (typeof body.scope === 'string') body.scope = liveScope(body.scope, meta.permissions ?? []) || undefined;
}
