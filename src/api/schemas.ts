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
