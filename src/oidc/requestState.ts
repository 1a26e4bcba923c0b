// Everything Gatehouse keeps about one request to oidc-provider, in one typed object with one accessor, as
// oidc-provider keeps its own on `ctx.oidc`. Nothing else is keyed on the request; nothing here outlives it.
import Provider from 'oidc-provider';
import type { AdapterPayload } from 'oidc-provider';
import type { ConnectionCredential } from '../domain/connectionLookup.js';
import type { PresentedCredentials } from './credentials.js';
import type { StoredRow } from './tokenStore.js';

export interface PrefetchedAccount {
  id: string;
  email: string;
  name: string;
}

/** What the request's code or token was issued through, and who holds it now (introspection reads it). */
export interface TokenFacts {
  consumerId: string | null;
  clientType: string | null;
  clientPermissions: string[];
  /** undefined: a machine's token; null: a user who is no longer a member; else the membership's scopes. */
  membership: string[] | null | undefined;
}

/** The code or refresh token this token request redeems: consumed by the statement that issues from it. */
export interface Redemption {
  model: string;
  id: string;
  /** The redeem-and-issue statement ran for it. */
  redeemed: boolean;
  /** It consumed the code or refresh token: this request is the one redemption that succeeds. */
  won: boolean;
}

export class OidcRequest {
  /** The client credentials the request presents (Basic or form), parsed once; null when it presents none. */
  credentials: PresentedCredentials | null | undefined;
  /** The HMAC of the presented secret, computed once for the lookup and the comparison. */
  presentedHash?: { secret: string; hash: string };
  /** The connection the client lookup chose: what binding and the guarded statements check against. */
  connection?: ConnectionCredential;
  redemption?: Redemption;
  readonly tokens = new Map<string, TokenFacts>();
  /**
   * What the read-ahead (readAhead.ts) fetched with the request's credential, each served once: token rows by
   * `model:id` (`null` = read and absent), Grant and Session payloads by `Grant:id` and `Session:uid`, accounts by id.
   */
  readonly prefetchedTokens = new Map<string, StoredRow | null>();
  readonly prefetchedPayloads = new Map<string, AdapterPayload>();
  readonly prefetchedAccounts = new Map<string, PrefetchedAccount>();
  /** Set when the request failed because the database did not answer (answered 503, CONTRACT §1). */
  databaseUnavailable = false;
}

const KEY = 'gatehouseOidc';

/** The state of the request that `ctx` serves, made on first use. */
export function oidcRequest(ctx: { state?: Record<string, unknown> }): OidcRequest {
  const state = (ctx.state ??= {});
  return (state[KEY] ??= new OidcRequest()) as OidcRequest;
}

/** The request oidc-provider is serving now (FINDINGS: Provider.ctx), with its route and parameters. */
export function currentRequest(): { state: OidcRequest; route: string | undefined; params: Record<string, unknown> } | undefined {
  const ctx = Provider.ctx;
  if (!ctx) return undefined;
  return {
    state: oidcRequest(ctx as unknown as { state: Record<string, unknown> }),
    route: ctx.oidc?.route,
    params: (ctx.oidc?.params ?? {}) as Record<string, unknown>,
  };
}
