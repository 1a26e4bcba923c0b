// admin:bootstrap (CONTRACT §6): the first ADMIN client, the console's connection and an admin user, made by the
// same domain functions as every other client, connection, user and membership.
import crypto from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { SYSTEM_ACTOR, recordAudit } from './audit.js';
import { createClient } from './clients.js';
import { BUILTIN_PERMISSIONS } from './clientTypes.js';
import { claimConsoleRegistration, consoleRegistration, restoreConsoleConnection } from './consoleClient.js';
import type { Secrets } from './secrets.js';
import { putMembership } from './memberships.js';
import { createUser, findUserIdByEmail } from './users.js';

export type BootstrapResult =
  | { created: true; clientId: string; email: string; generatedPassword: string | null; existingUser: boolean }
  | { created: false; clientId: string };

export async function bootstrapAdmin(
  manager: EntityManager, secrets: Secrets, issuer: string, email: string, password?: string,
): Promise<BootstrapResult> {
  const existing = await consoleRegistration(manager);
  if (existing) return { created: false, clientId: existing.clientId };
  const generatedPassword = password ? null : crypto.randomBytes(18).toString('base64url');
  const actor = SYSTEM_ACTOR;
  return manager.transaction(async (tx) => {
    if (!(await claimConsoleRegistration(tx))) {
      const winner = await consoleRegistration(tx);
      return { created: false as const, clientId: winner?.clientId ?? '' };
    }
    const client = await createClient(tx, actor, { name: 'Gatehouse administration', client_type: 'ADMIN' });
    await restoreConsoleConnection(tx, secrets, issuer, actor, client.id);
    // The admin may grant every built-in scope there (CONTRACT §6); an existing user keeps their password.
    const knownId = await findUserIdByEmail(tx, email);
    const userId = knownId ?? (await createUser(tx, actor, {
      email, name: 'Administrator', password: password ?? generatedPassword!, memberships: [],
    })).id;
    await putMembership(tx, actor, userId, client.id, [...BUILTIN_PERMISSIONS]);
    await recordAudit(tx, actor, 'admin.bootstrap', { type: 'client', id: client.id }, { email });
    return { created: true as const, clientId: client.id, email, generatedPassword: knownId ? null : generatedPassword, existingUser: !!knownId };
  });
}
