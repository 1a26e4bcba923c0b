// oidc-provider, configured (never forked): connection-aware clients, PostgreSQL storage, PKCE S256 only, login and
// consent through Gatehouse's own interaction pages (CONTRACT §3). This file only assembles the parts.
import type { Pool } from 'pg';
import Provider from 'oidc-provider';
import type { Configuration } from 'oidc-provider';
import type { EntityManager } from 'typeorm';
import type { Config } from '../config.js';
import { BUILTIN_PERMISSIONS } from '../domain/clientTypes.js';
import { revokeGrant } from '../domain/revocation.js';
import { IDENTITY_SCOPES } from '../domain/scopePolicy.js';
import type { Secrets } from '../domain/secrets.js';
import { findUser } from '../domain/users.js';
import { clientFinder, connectionSource, installSecretComparison } from './clientFinder.js';
import { CLIENT_EXTRA_METADATA, gatehouseClient } from './clientMetadata.js';
import { credentialMemory } from './credentialMemory.js';
import { introspectionAnswer, mayIntrospect } from './introspection.js';
import type { ProviderKeys } from './keys.js';
import { type TokenStorage, modelAdapterFactory } from './modelAdapter.js';
import { prefetchedAccount, readAheadSource, readAheadStore } from './readAhead.js';
import { providerScopes } from './scopes.js';
import { TokenStore } from './tokenStore.js';
import { fromUiLocales } from '../http/i18n.js';
import { pageLanguage, pageSecurityHeaders, render, renderErrorPage } from '../http/pages.js';

/** The decorators that save round trips; each can be left out without changing any answer (tests run both ways). */
export interface Tuning {
  readAhead: boolean;
  credentialMemory: boolean;
}

export const DEFAULT_TUNING: Tuning = { readAhead: true, credentialMemory: true };

export interface ProviderDeps {
  config: Config;
  pool: Pool;
  manager: EntityManager;
  secrets: Secrets;
  keys: ProviderKeys;
  tuning?: Tuning;
}

function originOf(uri: unknown): string[] {
  try {
    return typeof uri === 'string' ? [new URL(uri).origin] : [];
  } catch {
    return [];
  }
}

const LOGOUT_LOCALE_COOKIE = 'gatehouse.logout_locale';

export function createProvider({ config, pool, manager, secrets, keys, tuning = DEFAULT_TUNING }: ProviderDeps): Provider {
  /** The name a logout page shows for its client (oidc-provider's client carries only the id). */
  const clientName = async (clientId: string | undefined) => {
    if (!clientId) return undefined;
    const rows: Array<{ name: string }> = await manager.query('SELECT name FROM clients WHERE id = $1', [clientId]);
    return rows[0]?.name;
  };
  let provider: Provider | undefined;
  let source = connectionSource(pool);
  if (tuning.readAhead) source = readAheadSource(pool, source);
  if (tuning.credentialMemory) source = credentialMemory(source);
  // The finder is first used after construction, when `provider` is set.
  const clients = clientFinder({ pool, secrets, source, knownScopes: () => providerScopes(provider!) });
  let store: TokenStorage = new TokenStore(pool);
  if (tuning.readAhead) store = readAheadStore(store);
  const ModelAdapter = modelAdapterFactory({
    store,
    revokeGrant: (grantId) => revokeGrant(manager, grantId),
    credentialRefused: (state, params) => clients.refused(state, params),
  });
  // oidc-provider constructs one adapter per model; the Client model gets the connection-aware finder.
  function GatehouseAdapter(name: string) {
    return name === 'Client' ? clients : new ModelAdapter(name);
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
      introspection: { enabled: true, allowedPolicy: async (ctx) => mayIntrospect(gatehouseClient(ctx)) },
      revocation: { enabled: true },
      userinfo: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        // Gatehouse's own pages (CONTRACT §3 "Pages"): nothing from another origin, no framing.
        logoutSource: async (ctx, form) => {
          const language = pageLanguage(ctx, { uiLocales: ctx.oidc.params?.ui_locales });
          // The signed-out page that follows is not told ui_locales: a short cookie carries the choice there.
          if (fromUiLocales(ctx.query.ui_locales ?? ctx.oidc.params?.ui_locales)) {
            ctx.cookies.set(LOGOUT_LOCALE_COOKIE, language.locale, { path: '/session/end', httpOnly: true, sameSite: 'lax', maxAge: 600_000, signed: false, secure: config.issuer.startsWith('https:') });
          }
          ctx.set(pageSecurityHeaders(originOf(ctx.oidc.params?.post_logout_redirect_uri)));
          ctx.type = 'html';
          ctx.body = render('logout.njk', { form, clientName: await clientName(ctx.oidc.client?.clientId) }, language);
        },
        postLogoutSuccessSource: async (ctx) => {
          ctx.set(pageSecurityHeaders());
          ctx.type = 'html';
          const language = pageLanguage(ctx, { uiLocales: ctx.cookies.get(LOGOUT_LOCALE_COOKIE) });
          ctx.body = render('signed-out.njk', { clientName: await clientName(ctx.oidc.client?.clientId) }, language);
        },
      },
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
      const client = gatehouseClient(ctx);
      return client ? { client_type: client.client_type, consumer_id: client.consumer_id } : undefined;
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    findAccount: async (ctx, sub) => {
      const user = (tuning.readAhead ? prefetchedAccount(sub) : undefined) ?? await findUser(manager, sub);
      if (!user) {
        // A blocked or deleted user's browser session signs no one in any more (CONTRACT §3): the authorization
        // endpoint treats it as no session and asks for a login (oidc-provider expects an account for a session).
        const session = ctx.oidc?.session;
        if (session?.accountId === sub && (ctx.oidc.route === 'authorization' || ctx.oidc.route === 'resume')) {
          delete (session as { accountId?: string }).accountId; // the session proxy refuses an empty assignment
          (session as { touched?: boolean }).touched = true;
        }
        return undefined;
      }
      return {
        accountId: user.id,
        claims: async () => ({ sub: user.id, email: user.email, email_verified: false, name: user.name }),
      };
    },
    renderError: async (ctx, out) => {
      ctx.set(pageSecurityHeaders());
      ctx.type = 'html';
      ctx.body = renderErrorPage(out as unknown as Record<string, string>, pageLanguage(ctx, { uiLocales: ctx.oidc?.params?.ui_locales }));
    },
  };

  provider = new Provider(config.issuer, configuration);
  installSecretComparison(provider, secrets);
  provider.use(introspectionAnswer);
  return provider;
}
