// The client metadata Gatehouse gives oidc-provider for one connection, and the one declaration of what the rest of
// Gatehouse reads back off `ctx.oidc.client` (extra metadata keeps its snake_case names there).
import type { ClientMetadata } from 'oidc-provider';
import type { ClientRecord, ConnectionCredential } from '../domain/connectionLookup.js';
import { requestableScope } from '../domain/scopePolicy.js';

export const CLIENT_EXTRA_METADATA = ['connection_id', 'consumer_id', 'client_type', 'permissions'];

/** `ctx.oidc.client` as Gatehouse fills it. */
export interface GatehouseClient {
  clientId: string;
  clientSecret?: string;
  connection_id?: string;
  consumer_id?: string;
  client_type?: string;
  permissions?: string[];
}

export function gatehouseClient(ctx: { oidc?: { client?: unknown } } | undefined): GatehouseClient | undefined {
  return ctx?.oidc?.client as GatehouseClient | undefined;
}

// Never equal to an HMAC, so a client without a matching credential can never authenticate.
const NO_SECRET = '!';

/**
 * A connection as an oidc-provider client. Only one with a redirect URI may use the code flow; only a
 * self-connection may use client_credentials (CONTRACT §2). `machineScopes` sets the allow-list that makes
 * client_credentials answer invalid_scope; at the authorization endpoint scopes are narrowed at consent instead.
 */
export function connectionMetadata(cred: ConnectionCredential, machineScopes: boolean): ClientMetadata {
  const self = cred.consumer_id === cred.client_id;
  const code = cred.redirect_uri !== null;
  return {
    client_id: cred.client_id,
    client_secret: cred.secret_hash,
    token_endpoint_auth_method: 'client_secret_basic',
    redirect_uris: code ? [cred.redirect_uri!] : [],
    response_types: code ? ['code'] : [],
    grant_types: [...(code ? ['authorization_code', 'refresh_token'] : []), ...(self ? ['client_credentials'] : [])],
    scope: machineScopes ? requestableScope(cred.permissions) : undefined,
    connection_id: cred.connection_id,
    consumer_id: cred.consumer_id,
    client_type: cred.client_type,
    permissions: cred.permissions,
  };
}

/** The client with no usable credential: oidc-provider's error page for an unregistered redirect_uri, userinfo. */
export function credentiallessMetadata(client: ClientRecord): ClientMetadata {
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
