// Field schemas every resource shares. The schemas/ folder is a leaf: the API, the console, the internal listener
// and the CLI validate with the same JSON Schemas, and the OpenAPI document publishes them (CONTRACT §4).
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
/** A friendly name: 1 to 255 characters, not only blanks (seed: "name displayed in the interface"). */
export const displayName = { ...friendlyName, pattern: '\\S' } as const;
export const timestamp = { type: 'string', format: 'date-time' } as const;

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

/** An action that takes no input: an empty body or `{}`; any field is a problem (CONTRACT §4). */
export const emptyBody = { type: 'object', additionalProperties: false, properties: {} } as const;

/** Paging of every list (CONTRACT §4): page from 1, page_size default 50 and at most 100. */
export const pagingQuery = {
  page: { type: 'integer', minimum: 1, maximum: 1_000_000, default: 1 },
  page_size: { type: 'integer', minimum: 1, maximum: 100, default: 50 },
} as const;

/** The query schema of a list route: paging plus its filters; any other parameter is a problem (CONTRACT §4). */
export function listQuery(filters: Record<string, object> = {}) {
  return { type: 'object', additionalProperties: false, properties: { ...pagingQuery, ...filters } } as const;
}
