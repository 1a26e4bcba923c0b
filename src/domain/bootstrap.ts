// admin:bootstrap (CONTRACT §6): the first ADMIN client, the console's connection and an admin user.
import crypto from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { SYSTEM_ACTOR, recordAudit } from './audit.js';
import { BUILTIN_PERMISSIONS, defaultPermissions } from './permissions.js';
import type { Secrets } from './secrets.js';

export const CONSOLE_SETTING = 'console';
export const CONSOLE_SECRET_LABEL = 'console';

export interface ConsoleClient {
  client_id: string;
  connection_id: string;
  redirect_uri: string;
}

export async function consoleClient(manager: EntityManager): Promise<ConsoleClient | null> {
  const rows: Array<{ value: ConsoleClient }> = await manager.query('SELECT value FROM settings WHERE key = $1', [CONSOLE_SETTING]);
  return rows[0]?.value ?? null;
}

/**
 * A reader of the console's client that asks the database until admin:bootstrap has run, then never again:
 * bootstrap writes it once and it never changes.
 */
export function consoleClientOnce(manager: EntityManager): () => Promise<ConsoleClient | null> {
  let known: ConsoleClient | null = null;
  return async () => (known ??= await consoleClient(manager));
}

export type BootstrapResult =
  | { created: true; clientId: string; email: string; generatedPassword: string | null; existingUser: boolean }
  | { created: false; clientId: string };

export async function bootstrapAdmin(
  manager: EntityManager, secrets: Secrets, issuer: string, email: string, password?: string,
): Promise<BootstrapResult> {
  const existing = await consoleClient(manager);
  if (existing) return { created: false, clientId: existing.client_id };
  const bcrypt = (await import('bcrypt')).default;
  const generatedPassword = password ? null : crypto.randomBytes(18).toString('base64url');
  const passwordHash = await bcrypt.hash(password ?? generatedPassword!, 11);
  const clientId = crypto.randomUUID();
  const redirectUri = `${issuer}/console/callback`;
  const permissions = defaultPermissions('ADMIN');
  let existingUser = false;
  await manager.transaction(async (tx) => {
    // Taking the setting's key first makes a concurrent second bootstrap fail instead of doubling up.
    const connectionId = crypto.randomUUID();
    await tx.query('INSERT INTO settings (key, value) VALUES ($1, $2)', [
      CONSOLE_SETTING, JSON.stringify({ client_id: clientId, connection_id: connectionId, redirect_uri: redirectUri }),
    ]);
    await tx.query('INSERT INTO clients (id, name, client_type, permissions) VALUES ($1, $2, $3, $4)', [
      clientId, 'Gatehouse administration', 'ADMIN', permissions,
    ]);
    await tx.query('INSERT INTO connections (id, client_id, consumer_id, redirect_uri, secret_hash) VALUES ($1, $2, $2, $3, $4)', [
      connectionId, clientId, redirectUri, secrets.derived(CONSOLE_SECRET_LABEL).hash,
    ]);
    // An existing user keeps their password and only becomes a member of the ADMIN client.
    const users: Array<{ id: string; inserted: boolean }> = await tx.query(
      `INSERT INTO users (email, name, password_hash) VALUES ($1, 'Administrator', $2)
       ON CONFLICT (lower(email)) DO UPDATE SET updated_at = now() RETURNING id, (xmax = 0) AS inserted`,
      [email, passwordHash],
    );
    existingUser = !users[0].inserted;
    await tx.query('INSERT INTO memberships (user_id, client_id, scopes) VALUES ($1, $2, $3)', [users[0].id, clientId, [...BUILTIN_PERMISSIONS]]);
    await recordAudit(tx, SYSTEM_ACTOR, 'admin.bootstrap', { type: 'client', id: clientId }, { email });
  });
  return { created: true, clientId, email, generatedPassword: existingUser ? null : generatedPassword, existingUser };
}
