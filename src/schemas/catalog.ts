// The permission catalog and the audit log (CONTRACT §2, §4).
import { permissionName, timestamp } from './common.js';

export const permissionView = {
  type: 'object',
  required: ['name', 'description'],
  properties: { name: { type: 'string' }, description: { type: 'string' } },
} as const;

export const newPermissionBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'description'],
  properties: { name: permissionName, description: { type: 'string', maxLength: 1000 } },
} as const;

export const auditEventView = {
  type: 'object',
  required: ['id', 'actor_type', 'actor_id', 'action', 'target_type', 'target_id', 'request_id', 'details', 'inserted_at'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    actor_type: { type: 'string', enum: ['user', 'client'] },
    actor_id: { type: ['string', 'null'] },
    action: { type: 'string', examples: ['connection.refresh_secret'] },
    target_type: { type: 'string' },
    target_id: { type: 'string' },
    request_id: { type: ['string', 'null'] },
    // No `properties` here on purpose: the shaper keeps what the domain wrote, which never holds a secret.
    details: { type: 'object' },
    inserted_at: timestamp,
  },
} as const;
