// Which connection a request to oidc-provider is about (CONTRACT §3), decided from the request alone: a pure
// function, run by the client finder (clientFinder.ts) each time oidc-provider asks for a client by id.
import type { PresentedCredentials } from './credentials.js';

export type ConnectionLookup =
  /**
   * The connection owning the presented secret (token, introspection, revocation endpoints). A code exchange's
   * connection must also own the exchange's redirect_uri, else invalid_client; a client_credentials request's scope
   * must lie within the client's permissions, else invalid_scope (CONTRACT §3).
   */
  | { by: 'secret'; secret: string; purpose: 'code_exchange'; redirectUri: unknown }
  | { by: 'secret'; secret: string; purpose: 'machine'; scope: unknown }
  | { by: 'secret'; secret: string; purpose: 'other' }
  /** The connection that registered exactly this redirect URI (authorization endpoint). */
  | { by: 'redirect_uri'; redirectUri: string }
  /** A connection that registered exactly this post_logout_redirect_uri (end session, RP-Initiated Logout §3). */
  | { by: 'post_logout_redirect_uri'; postLogoutRedirectUri: string }
  /** No credential and no redirect URI: the client itself, which can authenticate nothing (userinfo, end session). */
  | { by: 'client' };

export type SecretLookup = Extract<ConnectionLookup, { by: 'secret' }>;

export interface LookupInput {
  route: string | undefined;
  params: Record<string, unknown>;
  credentials: PresentedCredentials | null;
}

export function chooseConnectionLookup(clientId: string, { route, params, credentials }: LookupInput): ConnectionLookup {
  if (credentials && credentials.clientId === clientId) {
    const { secret } = credentials;
    if (route === 'token' && params.grant_type === 'authorization_code') return { by: 'secret', secret, purpose: 'code_exchange', redirectUri: params.redirect_uri };
    if (route === 'token' && params.grant_type === 'client_credentials') return { by: 'secret', secret, purpose: 'machine', scope: params.scope };
    return { by: 'secret', secret, purpose: 'other' };
  }
  if ((route === 'authorization' || route === 'resume') && params.client_id === clientId && typeof params.redirect_uri === 'string') {
    return { by: 'redirect_uri', redirectUri: params.redirect_uri };
  }
  if (route === 'end_session' && (params.client_id === undefined || params.client_id === clientId) && typeof params.post_logout_redirect_uri === 'string') {
    return { by: 'post_logout_redirect_uri', postLogoutRedirectUri: params.post_logout_redirect_uri };
  }
  return { by: 'client' };
}

/** Where a code or token found by value must belong to the connection that authenticated (CONTRACT §3). */
export function mustBelongToConnection(route: string | undefined, model: string): boolean {
  if (route === 'token') return model === 'AuthorizationCode' || model === 'RefreshToken';
  if (route === 'revocation') return CONNECTION_BOUND.has(model);
  return false;
}

/** The models whose rows are issued through one connection. */
export const CONNECTION_BOUND: ReadonlySet<string> = new Set(['AuthorizationCode', 'AccessToken', 'RefreshToken', 'ClientCredentials']);

/** At the token endpoint the code or refresh token this request redeems, by its grant type. */
export function redeemedModel(route: string | undefined, params: Record<string, unknown>): string | undefined {
  if (route !== 'token') return undefined;
  if (params.grant_type === 'authorization_code') return 'AuthorizationCode';
  if (params.grant_type === 'refresh_token') return 'RefreshToken';
  return undefined;
}
