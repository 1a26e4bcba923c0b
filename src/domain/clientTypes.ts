// What each client type is and holds (CONTRACT §2, §5): the one home of the built-in permissions, the ADMIN
// permission set and every type's permissions at creation. Bootstrap, the console, the API, the internal listener,
// the CLI and the migrations that add a built-in read it from here.
import { SERVICE_TYPES, type ClientType } from '../../entities/index.js';

export const BUILTIN_PERMISSIONS = [
  'client:read', 'client:write', 'connection:read', 'connection:write', 'connection:refresh_secret',
  'connection:delete', 'service:read', 'service:write', 'printer:read', 'printer:write', 'printer:report',
  'permission:write', 'token:introspect', 'audit:read', 'user:read', 'user:write', 'print:submit',
] as const;

/** Built-ins that only a machine of another type acts on: an ADMIN client never holds them (CONTRACT §5). */
const NOT_FOR_ADMIN: readonly string[] = ['printer:report', 'print:submit'];

/** Every built-in but printer:report and print:submit: what an ADMIN client holds at creation and the console asks for. */
export const ADMIN_PERMISSIONS: readonly string[] = BUILTIN_PERMISSIONS.filter((p) => !NOT_FOR_ADMIN.includes(p));

/** What MSP, PHARMACY and MIS clients hold at creation: reading themselves and managing their connections. */
const CONNECTION_SELF_SERVICE = [
  'client:read', 'connection:read', 'connection:write', 'connection:refresh_secret', 'connection:delete',
];

export function defaultPermissions(type: ClientType): string[] {
  switch (type) {
    case 'ADMIN':
      return [...ADMIN_PERMISSIONS];
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

/** Services (print services, integrations) are named by a System ID and have no users (CONTRACT §2). */
export function isService(type: string): boolean {
  return (SERVICE_TYPES as readonly string[]).includes(type);
}
