// JSON Schemas shared by validation and the OpenAPI document: one definition per field, one place.
import { CLIENT_TYPES } from '../../entities/index.js';
import { REDIRECT_URI_MAX_LENGTH } from '../domain/redirectUri.js';
import { PERMISSION_NAME } from '../domain/permissions.js';

export const redirectUri = {
  type: 'string',
  format: 'redirect-uri',
  maxLength: REDIRECT_URI_MAX_LENGTH,
  description: 'absolute URL: https, or http on a loopback host; no fragment; at most 2048 characters',
} as const;

export const clientId = { type: 'string', minLength: 1, maxLength: 128 } as const;
export const permissionName = { type: 'string', pattern: PERMISSION_NAME.source, maxLength: 128 } as const;
export const permissionList = { type: 'array', items: permissionName, maxItems: 200, uniqueItems: true } as const;
export const friendlyName = { type: 'string', minLength: 1, maxLength: 255 } as const;

export const newClientBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'client_type'],
  properties: {
    id: clientId,
    name: friendlyName,
    client_type: { type: 'string', enum: [...CLIENT_TYPES] },
    permissions: permissionList,
  },
} as const;

export const connectionUpsertBody = {
  type: 'object',
  additionalProperties: false,
  required: ['consumer_id'],
  properties: { consumer_id: clientId, redirect_uri: redirectUri },
} as const;

export const newUserBody = {
  type: 'object',
  additionalProperties: false,
  required: ['email', 'password', 'memberships'],
  properties: {
    email: { type: 'string', format: 'email', maxLength: 254 },
    password: { type: 'string', minLength: 8, maxLength: 1024 },
    name: { type: 'string', maxLength: 255 },
    memberships: {
      type: 'array',
      maxItems: 100,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['client_id', 'scopes'],
        properties: { client_id: clientId, scopes: { type: 'array', items: { type: 'string', maxLength: 128 }, maxItems: 200 } },
      },
    },
  },
} as const;

// --- path parameters ---------------------------------------------------------------------------

/** A client id is a UUID (ADMIN, MIS, MSP, PHARMACY) or a service's System ID (CONTRACT §2); anything else is malformed. */
export const clientIdParam = {
  type: 'string',
  pattern: '^(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|[a-z0-9][a-z0-9_-]{2,63})$',
  description: 'a UUID, or the System ID of a service',
} as const;

export const uuidParam = { type: 'string', format: 'uuid' } as const;

export function pathParams(properties: Record<string, object>) {
  return { type: 'object', required: Object.keys(properties), properties } as const;
}

// --- views: what responses may carry; anything else is stripped before sending ------------------

export const timestamp = { type: 'string', format: 'date-time' } as const;

export const clientView = {
  type: 'object',
  required: ['id', 'name', 'client_type', 'permissions', 'is_blocked', 'block_reason', 'inserted_at', 'updated_at'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    client_type: { type: 'string', enum: [...CLIENT_TYPES] },
    permissions: { type: 'array', items: { type: 'string' } },
    is_blocked: { type: 'boolean' },
    block_reason: { type: ['string', 'null'] },
    inserted_at: timestamp,
    updated_at: timestamp,
  },
} as const;

export const connectionView = {
  type: 'object',
  required: ['id', 'client_id', 'consumer_id', 'redirect_uri', 'inserted_at', 'updated_at'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    client_id: { type: 'string' },
    consumer_id: { type: 'string' },
    redirect_uri: { type: ['string', 'null'] },
    inserted_at: timestamp,
    updated_at: timestamp,
  },
} as const;

/** The one response that shows a connection's secret: the refresh_secret action (CONTRACT §4). */
export const connectionWithSecretView = {
  ...connectionView,
  required: [...connectionView.required, 'secret'],
  properties: {
    ...connectionView.properties,
    secret: { type: 'string', description: 'the new secret, shown this once' },
  },
} as const;

export const permissionView = {
  type: 'object',
  required: ['name', 'description'],
  properties: { name: { type: 'string' }, description: { type: 'string' } },
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

// --- request bodies ------------------------------------------------------------------------------

export const clientPatchBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    name: friendlyName,
    is_blocked: { type: 'boolean' },
    block_reason: { type: ['string', 'null'], maxLength: 1000 },
  },
} as const;

export const connectionPatchBody = {
  type: 'object',
  additionalProperties: false,
  required: ['redirect_uri'],
  properties: { redirect_uri: redirectUri },
} as const;

export const newPermissionBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'description'],
  properties: { name: permissionName, description: { type: 'string', maxLength: 1000 } },
} as const;

/** An action that takes no input: an empty body or `{}`; any field is a problem (CONTRACT §4). */
export const emptyBody = { type: 'object', additionalProperties: false, properties: {} } as const;
