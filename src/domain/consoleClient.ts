// The admin console's own registration (CONTRACT §6, §7): the ADMIN client that admin:bootstrap made and its
// self-connection, which is the console's. Its secret is derived from the pepper (stored nowhere but as the usual
// HMAC) and its redirect URI is always `${ISSUER}/console/callback`: restored at every start and by `console:repair`,
// and never refreshed, deleted or re-pointed through /api, the console or the internal listener (409).
import type { EntityManager } from 'typeorm';
import { type Actor, recordAudit } from './audit.js';
import { Conflict } from './errors.js';
import { revokeConnectionTokens } from './revocation.js';
import type { NewSecret, Secrets } from './secrets.js';

const SETTING = 'console';

export interface ConsoleRegistration {
  clientId: string;
  connectionId: string;
}

export function consoleRedirectUri(issuer: string): string {
  return `${issuer}/console/callback`;
}

export function consoleSecret(secrets: Secrets): NewSecret {
  return secrets.derived('console');
}

export async function consoleRegistration(manager: EntityManager): Promise<ConsoleRegistration | null> {
  const rows: Array<{ value: { client_id?: string; connection_id?: string } }> = await manager.query(
    'SELECT value FROM settings WHERE key = $1', [SETTING],
  );
  const value = rows[0]?.value;
  return value?.client_id && value.connection_id ? { clientId: value.client_id, connectionId: value.connection_id } : null;
}

/** A reader that asks the database until admin:bootstrap has run, then never again: the registration never changes. */
export function consoleRegistrationOnce(manager: EntityManager): () => Promise<ConsoleRegistration | null> {
  let known: ConsoleRegistration | null = null;
  return async () => (known ??= await consoleRegistration(manager));
}

/** Takes the registration's key before anything else, so a concurrent second bootstrap fails instead of doubling up. */
export async function claimConsoleRegistration(tx: EntityManager): Promise<boolean> {
  const rows: unknown[] = await tx.query(
    `INSERT INTO settings (key, value) VALUES ($1, '{}') ON CONFLICT (key) DO NOTHING RETURNING key`, [SETTING],
  );
  return rows.length === 1;
}

/** 409 when a change through /api, the console or the internal listener would touch the console's own connection. */
export async function assertNotConsoleConnection(manager: EntityManager, connection: { id?: string; clientId?: string; consumerId?: string }): Promise<void> {
  const console = await consoleRegistration(manager);
  if (!console) return;
  const self = connection.clientId === console.clientId && connection.consumerId === console.clientId;
  if (connection.id === console.connectionId || self) {
    throw new Conflict('this is the admin console\'s own connection: it cannot be changed here (an operator can run `npm run cli -- console:repair`)');
  }
}

export type RestoreResult = 'unchanged' | 'restored' | 'recreated';

/**
 * Gives the console's connection its redirect URI and derived secret, creating it again if it is gone. A changed
 * or recreated connection loses its tokens (its secret or redirect URI was not the console's) and is audited.
 */
export async function restoreConsoleConnection(
  tx: EntityManager, secrets: Secrets, issuer: string, actor: Actor, clientId: string,
): Promise<{ result: RestoreResult; connectionId: string }> {
  const redirectUri = consoleRedirectUri(issuer);
  const rows: Array<{ id: string; created: boolean }> = await tx.query(
    `INSERT INTO connections (client_id, consumer_id, redirect_uri, secret_hash) VALUES ($1, $1, $2, $3)
     ON CONFLICT (client_id, consumer_id) DO UPDATE SET redirect_uri = EXCLUDED.redirect_uri,
       secret_hash = EXCLUDED.secret_hash, updated_at = now()
     WHERE connections.redirect_uri IS DISTINCT FROM EXCLUDED.redirect_uri OR connections.secret_hash <> EXCLUDED.secret_hash
     RETURNING id, (xmax = 0) AS created`,
    [clientId, redirectUri, consoleSecret(secrets).hash],
  );
  if (!rows.length) {
    const existing: Array<{ id: string }> = await tx.query(
      'SELECT id FROM connections WHERE client_id = $1 AND consumer_id = $1', [clientId],
    );
    return { result: 'unchanged', connectionId: existing[0].id };
  }
  const { id, created } = rows[0];
  await tx.query('UPDATE settings SET value = $2 WHERE key = $1', [SETTING, JSON.stringify({ client_id: clientId, connection_id: id })]);
  if (!created) await revokeConnectionTokens(tx, id);
  await recordAudit(tx, actor, created ? 'connection.create' : 'connection.console_restore', { type: 'connection', id }, {
    client_id: clientId, consumer_id: clientId, redirect_uri: redirectUri,
  });
  return { result: created ? 'recreated' : 'restored', connectionId: id };
}

/** At start and for `console:repair`: the registration's connection restored, when admin:bootstrap has run. */
export async function repairConsole(
  manager: EntityManager, secrets: Secrets, issuer: string, actor: Actor,
): Promise<RestoreResult | 'not-bootstrapped'> {
  return manager.transaction(async (tx) => {
    const registration = await consoleRegistration(tx);
    if (!registration) return 'not-bootstrapped';
    // Serialises instances starting at once: the second finds the first one's work done.
    await tx.query('SELECT 1 FROM clients WHERE id = $1 FOR UPDATE', [registration.clientId]);
    return (await restoreConsoleConnection(tx, secrets, issuer, actor, registration.clientId)).result;
  });
}
