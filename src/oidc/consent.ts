// What a user allows at consent (CONTRACT §3): the requested scopes that survive narrowing (scopePolicy.ts) are
// granted, the rest rejected, and the grant is audited.
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { Interaction } from 'oidc-provider';
import type { EntityManager } from 'typeorm';
import { recordAudit } from '../domain/audit.js';
import { grantableScopes, scopeValues } from '../domain/scopePolicy.js';

export interface ConsentSubject {
  accountId: string;
  clientId: string;
  clientPermissions: string[];
  /** The membership's scopes: what the user may grant through this client (signInPolicy.ts). */
  membership: string[];
}

export function grantedScopes(details: Interaction, subject: ConsentSubject): string[] {
  return grantableScopes(scopeValues(details.params.scope), { clientPermissions: subject.clientPermissions, membership: subject.membership });
}

/** Saves the grant of what survives narrowing and returns its id. */
export async function recordConsent(
  provider: Provider, manager: EntityManager, ctx: Context, details: Interaction, subject: ConsentSubject,
): Promise<string> {
  const requested = scopeValues(details.params.scope);
  const granted = grantedScopes(details, subject);
  const grant = (details.grantId ? await provider.Grant.find(details.grantId) : undefined)
    ?? new provider.Grant({ accountId: subject.accountId, clientId: subject.clientId });
  if (granted.length) grant.addOIDCScope(granted.join(' '));
  const narrowed = requested.filter((s) => !granted.includes(s));
  if (narrowed.length) grant.rejectOIDCScope(narrowed.join(' '));
  const grantId = await grant.save();
  await recordAudit(manager, { type: 'user', id: subject.accountId, requestId: ctx.state.requestId ?? null },
    'grant.consent', { type: 'client', id: subject.clientId }, { scope: granted.join(' ') });
  return grantId;
}
