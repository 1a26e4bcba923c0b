// Clients and their connections (CONTRACT §2, §4, §6).
import { CLIENT_TYPES } from '../../entities/index.js';
import { clientId, friendlyName, permissionList, redirectUri, timestamp } from './common.js';

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

export const connectionUpsertBody = {
  type: 'object',
  additionalProperties: false,
  required: ['consumer_id'],
  properties: { consumer_id: clientId, redirect_uri: redirectUri, post_logout_redirect_uri: redirectUri },
} as const;

export const connectionPatchBody = {
  type: 'object',
  additionalProperties: false,
  required: ['redirect_uri'],
  properties: { redirect_uri: redirectUri },
} as const;

export const connectionView = {
  type: 'object',
  required: ['id', 'client_id', 'consumer_id', 'redirect_uri', 'inserted_at', 'updated_at'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    client_id: { type: 'string' },
    consumer_id: { type: 'string' },
    redirect_uri: { type: ['string', 'null'] },
    post_logout_redirect_uri: { type: 'string', description: 'present only when one is registered (PUT /internal/clients/{id}/connections)' },
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
