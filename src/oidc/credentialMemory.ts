// Speed, not correctness: client_credentials remembers a connection it authenticated, by (client id, HMAC of the
// secret), for at most a minute, and skips that grant's lookup round trip. It cannot let a stale credential work:
// the statement that stores the token re-checks the secret, the block and every permission the token carries
// (tokenStore.ts GUARD), and when it refuses, the request fails and the entry is forgotten (clientFinder.ts
// `refused`). Only found credentials are kept: a wrong secret is always looked up. Without this decorator the grant
// looks the connection up every time (test/oauth-decorators.test.ts).
import type { ConnectionCredential } from '../domain/connectionLookup.js';
import { refusedMachineScopes } from '../domain/scopePolicy.js';
import type { ConnectionSource } from './clientFinder.js';

const TTL_MS = 60_000;
const MAX_ENTRIES = 10_000;

export function credentialMemory(inner: ConnectionSource): ConnectionSource {
  const entries = new Map<string, { cred: ConnectionCredential; until: number }>();
  const key = (clientId: string, hash: string) => `${clientId}\n${hash}`;

  const recall = (clientId: string, hash: string): ConnectionCredential | undefined => {
    const entry = entries.get(key(clientId, hash));
    if (entry && entry.until > Date.now()) return entry.cred;
    entries.delete(key(clientId, hash));
    return undefined;
  };
  const remember = (cred: ConnectionCredential) => {
    const k = key(cred.client_id, cred.secret_hash);
    entries.delete(k);
    if (entries.size >= MAX_ENTRIES) entries.delete(entries.keys().next().value!);
    entries.set(k, { cred, until: Date.now() + TTL_MS });
  };

  return {
    async bySecret(request) {
      if (request.lookup.purpose !== 'machine') return inner.bySecret(request);
      const remembered = recall(request.clientId, request.hash);
      // A remembered credential that lacks an asked-for permission may be older than the permission: look again.
      if (remembered && refusedMachineScopes(request.lookup.scope, remembered.permissions).length === 0) return remembered;
      const cred = await inner.bySecret(request);
      if (cred) remember(cred);
      else entries.delete(key(request.clientId, request.hash));
      return cred;
    },
    forget(clientId, hash) {
      entries.delete(key(clientId, hash));
      inner.forget?.(clientId, hash);
    },
  };
}
