// Clients: the organisations (and services) that connections belong to (CONTRACT §2).
import crypto from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { CLIENT_TYPES, type ClientType } from '../../entities/index.js';
import { type Actor, recordAudit } from './audit.js';
import { Conflict, Invalid, NotFound, isUniqueViolation } from './errors.js';
import { defaultPermissions, isService } from './clientTypes.js';
import { assertKnownPermissions } from './permissions.js';
import { revokeClientTokens } from './revocation.js';
import { Conditions, listPage } from './listing.js';

export const SERVICE_ID = /^[a-z0-9][a-z0-9_-]{2,63}$/;
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export interface ClientView {
  id: string;
  name: string;
  client_type: ClientType;
  permissions: string[];
  is_blocked: boolean;
  block_reason: string | null;
  inserted_at: string;
  updated_at: string;
}

export const CLIENT_COLUMNS = `id, name, client_type, permissions, is_blocked, block_reason, inserted_at, updated_at`;

/** Client ids are stored lower case when they are UUIDs, so every door compares them that way. */
export function canonicalClientId(id: string): string {
  return UUID.test(id) ? id.toLowerCase() : id;
}

export interface NewClient {
  id?: string;
  name: string;
  client_type: ClientType;
  permissions?: string[];
}

/** Creates a client; its permissions are its type's defaults (CONTRACT §5) plus those asked for. */
export async function createClient(manager: EntityManager, actor: Actor, input: NewClient): Promise<ClientView> {
  if (!CLIENT_TYPES.includes(input.client_type)) {
    throw Invalid.property('client_type', 'inclusion', `must be one of ${CLIENT_TYPES.join(', ')}`, { allowed: CLIENT_TYPES });
  }
  let id = input.id;
  if (isService(input.client_type)) {
    if (id === undefined || !SERVICE_ID.test(id)) {
      throw Invalid.property('id', 'format', 'a service needs a System ID matching ^[a-z0-9][a-z0-9_-]{2,63}$', { pattern: SERVICE_ID.source });
    }
  } else if (id === undefined) {
    id = crypto.randomUUID();
  } else if (!UUID.test(id)) {
    throw Invalid.property('id', 'format', 'must be a UUID for this client type', { format: 'uuid' });
  } else {
    id = id.toLowerCase();
  }
  const permissions = [...new Set([...defaultPermissions(input.client_type), ...(input.permissions ?? [])])];

  return manager.transaction(async (tx) => {
    await assertKnownPermissions(tx, permissions);
    let rows: ClientView[];
    try {
      rows = await tx.query(
        `INSERT INTO clients (id, name, client_type, permissions) VALUES ($1, $2, $3, $4) RETURNING ${CLIENT_COLUMNS}`,
        [id, input.name, input.client_type, permissions],
      );
    } catch (err) {
      if (isUniqueViolation(err)) throw new Conflict(`client ${id} already exists`);
      throw err;
    }
    await recordAudit(tx, actor, 'client.create', { type: 'client', id: id! }, {
      name: input.name, client_type: input.client_type, permissions,
    });
    return rows[0];
  });
}

export async function getClient(manager: EntityManager, id: string): Promise<ClientView> {
  const rows: ClientView[] = await manager.query(`SELECT ${CLIENT_COLUMNS} FROM clients WHERE id = $1`, [id]);
  if (!rows.length) throw new NotFound();
  return rows[0];
}

export interface ClientChanges {
  name?: string;
  is_blocked?: boolean;
  block_reason?: string | null;
}

/** Renames, blocks or unblocks; blocking revokes every token of the client at once (CONTRACT §3). */
export async function updateClient(manager: EntityManager, actor: Actor, id: string, changes: ClientChanges): Promise<ClientView> {
  return manager.transaction(async (tx) => {
    const before: ClientView[] = await tx.query(`SELECT ${CLIENT_COLUMNS} FROM clients WHERE id = $1 FOR UPDATE`, [id]);
    if (!before.length) throw new NotFound();
    const isBlocked = changes.is_blocked ?? before[0].is_blocked;
    const blockReason = !isBlocked ? null : changes.block_reason !== undefined ? changes.block_reason : before[0].block_reason;
    // TypeORM's query() answers [rows, count] to a bare UPDATE ... RETURNING; inside WITH it answers the rows.
    const rows: ClientView[] = await tx.query(
      `WITH changed AS (UPDATE clients SET name = $2, is_blocked = $3, block_reason = $4, updated_at = now()
       WHERE id = $1 RETURNING ${CLIENT_COLUMNS}) SELECT * FROM changed`,
      [id, changes.name ?? before[0].name, isBlocked, blockReason],
    );
    if (isBlocked && !before[0].is_blocked) await revokeClientTokens(tx, id);
    const action = isBlocked && !before[0].is_blocked ? 'client.block' : !isBlocked && before[0].is_blocked ? 'client.unblock' : 'client.update';
    await recordAudit(tx, actor, action, { type: 'client', id }, { ...changes });
    return rows[0];
  });
}

export interface ClientFilter {
  name?: string;
  client_type?: ClientType;
  is_blocked?: boolean;
  /** Narrows the list to one client: how a non-ADMIN caller sees only itself (CONTRACT §4 "Context"). */
  id?: string;
}

/** A page of clients in the contract's stable order (`inserted_at`, then `id`); `name` matches a substring, any case. */
export async function listClients(
  manager: EntityManager, filter: ClientFilter, page: number, pageSize: number,
): Promise<{ items: ClientView[]; total: number }> {
  const where = new Conditions()
    .contains('name', filter.name).equals('client_type', filter.client_type)
    .equals('is_blocked', filter.is_blocked).equals('id', filter.id);
  return listPage<ClientView>(manager, 'clients', CLIENT_COLUMNS, where, page, pageSize);
}
