// Services: clients of type PRINT_SERVICE or INTEGRATION named by a System ID, whose secret is their
// self-connection's (CONTRACT §2, §4; seed: the pharmacy portal's Service Configuration page).
import type { EntityManager } from 'typeorm';
import { SERVICE_TYPES } from '../../entities/index.js';
import { type Actor, recordAudit } from './audit.js';
import { SERVICE_ID, createClient } from './clients.js';
import { Invalid, type InvalidEntry, NotFound } from './errors.js';
import { assertKnownPermissions } from './permissions.js';
import { cancelServiceJobs } from './printJobs.js';
import { refreshSecret, upsertConnection } from './connections.js';
import { revokeClientTokens, revokeConnectionTokens } from './revocation.js';
import type { Secrets } from './secrets.js';
import { Conditions, listPage } from './listing.js';

export type ServiceType = (typeof SERVICE_TYPES)[number];

export interface ServiceView {
  client_id: string;
  name: string;
  service_type: ServiceType;
  permissions: string[];
  inserted_at: Date;
  updated_at: Date;
}

export interface NewService {
  client_id: string;
  name: string;
  service_type: ServiceType;
  permissions?: string[];
}

export interface ServiceChanges {
  name?: string;
  /** Replaces the whole set, printer:report included (CONTRACT §5 "later PATCH sets the whole list"). */
  permissions?: string[];
}

export interface ServiceFilter {
  service_type?: string;
  name?: string;
  /** Narrows the list to one service: how a non-ADMIN caller sees only itself (CONTRACT §4 "Context"). */
  client_id?: string;
}

const SERVICE_COLUMNS = `id AS client_id, name, client_type AS service_type, permissions, inserted_at, updated_at`;
const IS_SERVICE = `client_type IN ('PRINT_SERVICE', 'INTEGRATION')`;

export function isServiceType(value: unknown): value is ServiceType {
  return (SERVICE_TYPES as readonly unknown[]).includes(value);
}

/**
 * Creates the service's client (its type's default permissions plus those chosen, CONTRACT §5) and its
 * self-connection in one transaction; the secret is returned this once and stored only as an HMAC.
 */
export async function createService(
  manager: EntityManager, secrets: Secrets, actor: Actor, input: NewService,
): Promise<{ service: ServiceView; client_secret: string }> {
  const problems: InvalidEntry[] = [];
  if (!SERVICE_ID.test(input.client_id)) {
    problems.push(...Invalid.property('client_id', 'pattern', `must match ${SERVICE_ID.source}`, { pattern: SERVICE_ID.source }).entries);
  }
  if (!isServiceType(input.service_type)) {
    problems.push(...Invalid.property('service_type', 'enum', `must be one of ${SERVICE_TYPES.join(', ')}`, { allowedValues: SERVICE_TYPES }).entries);
  }
  if (problems.length) throw new Invalid(problems);
  return manager.transaction(async (tx) => {
    await createClient(tx, actor, {
      id: input.client_id, name: input.name, client_type: input.service_type, permissions: input.permissions ?? [],
    });
    const { secret } = await upsertConnection(tx, secrets, actor, input.client_id, { consumer_id: input.client_id });
    const service = await lockService(tx, input.client_id);
    await recordAudit(tx, actor, 'service.create', { type: 'service', id: service.client_id }, {
      name: service.name, service_type: service.service_type, permissions: service.permissions,
    });
    return { service, client_secret: secret };
  });
}

/** A page of services in the contract's order (`inserted_at`, then `id`); `name` matches a substring, any case. */
export async function listServices(
  manager: EntityManager, filter: ServiceFilter, page: number, pageSize: number,
): Promise<{ items: ServiceView[]; total: number }> {
  const where = new Conditions(IS_SERVICE)
    .contains('name', filter.name).equals('client_type', filter.service_type).equals('id', filter.client_id);
  return listPage<ServiceView>(manager, 'clients', SERVICE_COLUMNS, where, page, pageSize);
}

/** One service; any other client, like an unknown id, is NotFound. */
export async function getService(manager: EntityManager, clientId: string): Promise<ServiceView> {
  const rows: ServiceView[] = await manager.query(`SELECT ${SERVICE_COLUMNS} FROM clients WHERE id = $1 AND ${IS_SERVICE}`, [clientId]);
  if (!rows.length) throw new NotFound();
  return rows[0];
}

/** The service's row, locked until the transaction ends, so concurrent changes to one service queue up. */
export async function lockService(tx: EntityManager, clientId: string, type?: ServiceType): Promise<ServiceView> {
  const rows: ServiceView[] = await tx.query(
    `SELECT ${SERVICE_COLUMNS} FROM clients WHERE id = $1 AND ${IS_SERVICE} FOR UPDATE`, [clientId],
  );
  if (!rows.length || (type && rows[0].service_type !== type)) throw new NotFound();
  return rows[0];
}

/**
 * Renames and/or replaces the permissions. Permissions are live (CONTRACT §3): the bearer check and
 * introspection read them at request time, so a removed one leaves every issued token at once.
 */
export async function updateService(
  manager: EntityManager, actor: Actor, clientId: string, changes: ServiceChanges,
): Promise<ServiceView> {
  return manager.transaction(async (tx) => {
    const before = await lockService(tx, clientId);
    const permissions = changes.permissions ? [...new Set(changes.permissions)] : before.permissions;
    if (changes.permissions) await assertKnownPermissions(tx, permissions);
    const rows: ServiceView[] = await tx.query(
      `WITH changed AS (UPDATE clients SET name = $2, permissions = $3, updated_at = now() WHERE id = $1 RETURNING *)
       SELECT ${SERVICE_COLUMNS} FROM changed`,
      [clientId, changes.name ?? before.name, permissions],
    );
    const details: Record<string, unknown> = {};
    if (changes.name !== undefined) details.name = changes.name;
    if (changes.permissions) {
      details.permissions = permissions;
      details.added = permissions.filter((p) => !before.permissions.includes(p));
      details.removed = before.permissions.filter((p) => !permissions.includes(p));
    }
    await recordAudit(tx, actor, 'service.update', { type: 'service', id: clientId }, details);
    return rows[0];
  });
}

/** Deletes the service: its tokens are revoked, its connections and printers go with its row (ON DELETE CASCADE), its live jobs are canceled. */
export async function deleteService(manager: EntityManager, actor: Actor, clientId: string): Promise<void> {
  await manager.transaction(async (tx) => {
    const service = await lockService(tx, clientId);
    await revokeClientTokens(tx, clientId);
    // Tokens other clients issued to this service as their consumer die with those connections too.
    const consumed: Array<{ id: string }> = await tx.query('SELECT id FROM connections WHERE consumer_id = $1 AND client_id <> $1', [clientId]);
    for (const { id } of consumed) await revokeConnectionTokens(tx, id);
    const printers: Array<{ count: string }> = await tx.query('SELECT count(*) FROM service_printers WHERE service_id = $1', [clientId]);
    await tx.query('DELETE FROM clients WHERE id = $1', [clientId]);
    // After the delete: it waited for any job being submitted on its printers, which is then canceled too (§9).
    const canceled = await cancelServiceJobs(tx, actor, clientId);
    await recordAudit(tx, actor, 'service.delete', { type: 'service', id: clientId }, {
      name: service.name, service_type: service.service_type, printers: Number(printers[0].count),
      ...(canceled ? { canceled_jobs: canceled } : {}),
    });
  });
}

/**
 * A new secret on the service's self-connection: the old one fails and every token issued with it is
 * revoked in the same commit (CONTRACT §3). A service whose self-connection was deleted gets a new one.
 */
export async function regenerateServiceSecret(
  manager: EntityManager, secrets: Secrets, actor: Actor, clientId: string,
): Promise<{ service: ServiceView; client_secret: string }> {
  return manager.transaction(async (tx) => {
    const service = await lockService(tx, clientId);
    const self: Array<{ id: string }> = await tx.query(
      'SELECT id FROM connections WHERE client_id = $1 AND consumer_id = $1', [clientId],
    );
    const { secret } = self.length
      ? await refreshSecret(tx, secrets, actor, clientId, self[0].id)
      : await upsertConnection(tx, secrets, actor, clientId, { consumer_id: clientId });
    await recordAudit(tx, actor, 'service.regenerate_secret', { type: 'service', id: clientId }, {});
    return { service, client_secret: secret };
  });
}
