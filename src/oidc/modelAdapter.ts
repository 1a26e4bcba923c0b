// oidc-provider's Adapter for every model but Client: a thin translation onto the token store (tokenStore.ts). It
// adds what only the request knows: the connection a code or token is issued through and must belong to (CONTRACT
// §3), the code or refresh token a token request redeems, and which error a refused issue becomes.
import type { Adapter, AdapterPayload } from 'oidc-provider';
import { errors } from 'oidc-provider';
import { permissionsIn } from '../domain/scopePolicy.js';
import { CONNECTION_BOUND, mustBelongToConnection, redeemedModel } from './connectionChoice.js';
import { type OidcRequest, currentRequest } from './requestState.js';
import type { NewRow, Refusal, StoredRow, TokenStore } from './tokenStore.js';

/** The token store's operations the adapter uses (the read-ahead decorates them). */
export type TokenStorage = Pick<TokenStore,
  'find' | 'findToken' | 'findByUid' | 'findByUserCode' | 'upsert' | 'issue' | 'redeemAndIssue' | 'consume' | 'destroy'>;

export interface ModelAdapterDeps {
  store: TokenStorage;
  /** Revokes a grant and everything issued under it (src/domain/revocation.ts). */
  revokeGrant(grantId: string): Promise<void>;
  /** The request's credential no longer holds: the error a fresh client lookup gives (invalid_client or invalid_scope). */
  credentialRefused(state: OidcRequest, params: Record<string, unknown>): Promise<never>;
}

function facts(row: StoredRow) {
  return {
    consumerId: row.consumer_id,
    clientType: row.client_type,
    clientPermissions: row.permissions ?? [],
    membership: typeof row.payload.accountId === 'string' ? row.membership : undefined,
  };
}

export function modelAdapterFactory(deps: ModelAdapterDeps) {
  const { store } = deps;

  async function refuse(reason: Refusal, payload: AdapterPayload): Promise<never> {
    const request = currentRequest();
    if (reason === 'replayed') {
      // Another request redeemed it first: this one is a replay, and the grant's tokens die (RFC 6749 §4.1.2).
      if (typeof payload.grantId === 'string') await deps.revokeGrant(payload.grantId);
      throw new errors.InvalidGrant('grant request is invalid');
    }
    if (reason === 'credential' && request) return deps.credentialRefused(request.state, request.params);
    if (reason === 'credential') throw new errors.InvalidClientAuth();
    if (reason === 'grant') throw new errors.InvalidGrant('grant request is invalid');
    // The account may no longer sign in through this client (CONTRACT §3): a new code is refused at the
    // authorization endpoint as RFC 6749 §4.1.2.1 says, a token at the token endpoint.
    if (request?.route === 'token') throw new errors.InvalidGrant('the user may not sign in through this client');
    throw new errors.AccessDenied('the user may not sign in through this client');
  }

  return class ModelAdapter implements Adapter {
    constructor(readonly model: string) {}

    async upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
      const request = currentRequest();
      const bound = CONNECTION_BOUND.has(this.model);
      const connection = bound ? request?.state.connection : undefined;
      const row: NewRow = {
        model: this.model, id, payload, expiresIn,
        connectionId: connection?.connection_id ?? null,
        consumerId: connection?.consumer_id ?? null,
        secretHash: connection?.secret_hash ?? null,
        permissions: connection && this.model === 'ClientCredentials' ? permissionsIn(payload.scope) : null,
      };
      if (!bound) return store.upsert(row);
      // The code or refresh token this request redeems is consumed by the statement that stores its first token.
      const redemption = request?.state.redemption;
      let refused: Refusal | null;
      if (redemption && !redemption.redeemed) {
        redemption.redeemed = true;
        refused = await store.redeemAndIssue(redemption, row);
        redemption.won = refused === null;
      } else {
        refused = await store.issue(row);
      }
      // A concurrent replay revoked the grant after this request redeemed it (CONTRACT §3 "Replays under
      // concurrency"): this one still succeeds, and what it issues next is simply not stored, revoked with the rest.
      if (refused === 'grant' && redemption?.won) return;
      if (refused) await refuse(refused, payload);
    }

    async find(id: string): Promise<AdapterPayload | undefined> {
      if (!CONNECTION_BOUND.has(this.model)) return store.find(this.model, id);
      const row = await store.findToken(this.model, id);
      if (!row) return undefined;
      const request = currentRequest();
      if (request) {
        const { state, route, params } = request;
        // Another consumer of the same client cannot redeem, refresh or revoke this one's codes and tokens.
        if (mustBelongToConnection(route, this.model) && state.connection?.connection_id !== row.connection_id) return undefined;
        if (redeemedModel(route, params) === this.model && !state.redemption) state.redemption = { model: this.model, id, redeemed: false, won: false };
        state.tokens.set(id, facts(row));
      }
      return row.payload;
    }

    findByUid(uid: string): Promise<AdapterPayload | undefined> {
      return store.findByUid(this.model, uid);
    }

    findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
      return store.findByUserCode(this.model, userCode);
    }

    async consume(id: string): Promise<void> {
      const redemption = currentRequest()?.state.redemption;
      // Redeemed by the statement that issues from it (upsert above), whichever of the two oidc-provider calls first.
      if (redemption?.model === this.model && redemption.id === id) return;
      if (await store.consume(this.model, id)) return;
      const payload = await store.find(this.model, id);
      await refuse('replayed', payload ?? {});
    }

    destroy(id: string): Promise<void> {
      return store.destroy(this.model, id);
    }

    // Called on a sequential replay of a code or refresh token: every token of that grant dies (RFC 6749 §4.1.2).
    revokeByGrantId(grantId: string): Promise<void> {
      return deps.revokeGrant(grantId);
    }
  };
}
