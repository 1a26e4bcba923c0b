// The permission catalog (CONTRACT §2, §5): built-ins plus the scopes of downstream APIs admins add.
import type { EntityManager } from 'typeorm';
import type { ClientType } from '../../entities/index.js';
import { Conflict, Invalid, isUniqueViolation } from './errors.js';
import { type Actor, recordAudit } from './audit.js';

export const BUILTIN_PERMISSIONS = [
  'client:read', 'client:write', 'connection:read', 'connection:write', 'connection:refresh_secret',
  'connection:delete', 'service:read', 'service:write', 'printer:read', 'printer:write', 'printer:report',
  'permission:write', 'token:introspect', 'audit:read', 'print:submit',
] as const;

/** The acts of a print service and of a portal, which an ADMIN client does not do itself (CONTRACT §5). */
const NOT_FOR_ADMIN: readonly string[] = ['printer:report', 'print:submit'];

/** Scopes every client may be granted without a permission: they describe the user, not an API. */
export const IDENTITY_SCOPES = ['openid', 'profile', 'email', 'offline_access'] as const;

export const PERMISSION_NAME = /^[a-z][a-z0-9_]*:[a-z][a-z0-9_]*$/;

const CONNECTION_SELF_SERVICE = [
  'client:read', 'connection:read', 'connection:write', 'connection:refresh_secret', 'connection:delete',
];

export function defaultPermissions(type: ClientType): string[] {
  switch (type) {
    case 'ADMIN':
      return BUILTIN_PERMISSIONS.filter((p) => !NOT_FOR_ADMIN.includes(p));
    case 'MSP':
    case 'PHARMACY':
    case 'MIS':
      return [...CONNECTION_SELF_SERVICE];
    case 'PRINT_SERVICE':
      return ['printer:report'];
    case 'INTEGRATION':
      return [];
  }
}

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

/** The permissions among a scope's values: identity scopes are no client permission. */
export function permissionsIn(scope: unknown): string[] {
  if (typeof scope !== 'string') return [];
  return scope.split(' ').filter((s) => s && !(IDENTITY_SCOPES as readonly string[]).includes(s));
}

/**
 * A token's scope as it stands now: identity scopes stay, every other scope only while the client still
 * holds that permission (CONTRACT §3 "Permissions are live").
 */
export function liveScope(scope: string, permissions: readonly string[]): string {
  const held = new Set(permissions);
  return scope.split(' ').filter((s) => s && ((IDENTITY_SCOPES as readonly string[]).includes(s) || held.has(s))).join(' ');
}
