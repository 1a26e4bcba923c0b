// The permission catalog (CONTRACT §2, §5): the built-ins (src/domain/clientTypes.ts) plus the scopes of
// downstream APIs that admins add.
import type { EntityManager } from 'typeorm';
import { Conflict, Invalid, isUniqueViolation } from './errors.js';
import { type Actor, recordAudit } from './audit.js';

export const PERMISSION_NAME = /^[a-z][a-z0-9_]*:[a-z][a-z0-9_]*$/;

export interface PermissionView {
  name: string;
  description: string;
}

export async function listPermissions(manager: EntityManager): Promise<PermissionView[]> {
  return manager.query('SELECT name, description FROM permissions ORDER BY inserted_at, name');
}

/** Throws Invalid naming `entry` when any of `names` is not in the catalog. */
export async function assertKnownPermissions(manager: EntityManager, names: string[], entry = 'permissions'): Promise<void> {
  if (!names.length) return;
  const rows: Array<{ name: string }> = await manager.query(
    'SELECT name FROM permissions WHERE name = ANY($1::text[])', [names],
  );
  const known = new Set(rows.map((r) => r.name));
  const unknown = [...new Set(names)].filter((n) => !known.has(n));
  if (unknown.length) {
    throw Invalid.property(entry, 'inclusion', `unknown permission: ${unknown.join(', ')}`, { unknown });
  }
}

export async function createPermission(
  manager: EntityManager, actor: Actor, input: PermissionView,
): Promise<PermissionView> {
  return manager.transaction(async (tx) => {
    try {
      await tx.query('INSERT INTO permissions (name, description) VALUES ($1, $2)', [input.name, input.description]);
    } catch (err) {
      if (isUniqueViolation(err)) throw new Conflict(`permission ${input.name} already exists`);
      throw err;
    }
    await recordAudit(tx, actor, 'permission.create', { type: 'permission', id: input.name }, { description: input.description });
    return { name: input.name, description: input.description };
  });
}
