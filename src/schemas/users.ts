// Users, their memberships and grants (CONTRACT §2, §6, §8).
import { clientId, clientIdParam, pathParams, timestamp, uuidParam } from './common.js';

const email = { type: 'string', format: 'email', maxLength: 254 } as const;
const userName = { type: 'string', maxLength: 255 } as const;
const scopeList = { type: 'array', items: { type: 'string', minLength: 1, maxLength: 128 }, maxItems: 200 } as const;

const membership = {
  type: 'object',
  additionalProperties: false,
  required: ['client_id', 'scopes'],
  properties: { client_id: clientId, scopes: scopeList },
} as const;

/** POST /internal/users and users:create (CONTRACT §6): the operator gives the password. */
export const newUserBody = {
  type: 'object',
  additionalProperties: false,
  required: ['email', 'password', 'memberships'],
  properties: {
    email,
    password: { type: 'string', minLength: 8, maxLength: 1024 },
    name: userName,
    memberships: { type: 'array', maxItems: 100, items: membership },
  },
} as const;

/** POST /api/users (CONTRACT §8): no password; the user sets one through the setup link in the answer. */
export const newApiUserBody = {
  type: 'object',
  additionalProperties: false,
  required: ['email'],
  properties: { email, name: userName, memberships: { type: 'array', maxItems: 100, items: membership } },
} as const;

export const userPatchBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    name: userName,
    is_blocked: { type: 'boolean' },
    block_reason: { type: ['string', 'null'], maxLength: 1000 },
  },
} as const;

export const membershipBody = {
  type: 'object',
  additionalProperties: false,
  required: ['scopes'],
  properties: { scopes: scopeList },
} as const;

export const membershipView = {
  type: 'object',
  required: ['client_id', 'scopes'],
  properties: { client_id: { type: 'string' }, scopes: { type: 'array', items: { type: 'string' } } },
} as const;

const userProperties = {
  id: { type: 'string', format: 'uuid' },
  email: { type: 'string' },
  name: { type: 'string' },
  is_blocked: { type: 'boolean' },
  block_reason: { type: ['string', 'null'] },
  memberships: { type: 'array', items: membershipView },
  has_password: { type: 'boolean' },
  mfa_enabled: { type: 'boolean' },
  last_sign_in_at: { type: ['string', 'null'], format: 'date-time' },
  inserted_at: timestamp,
  updated_at: timestamp,
} as const;

export const userView = {
  type: 'object',
  required: Object.keys(userProperties),
  properties: userProperties,
} as const;

/** The answer to POST /api/users: the user and, this once, the setup link (CONTRACT §8). */
export const createdUserView = {
  type: 'object',
  required: [...Object.keys(userProperties), 'password_setup_url'],
  properties: { ...userProperties, password_setup_url: { type: 'string', format: 'uri' }, password_setup_expires_at: timestamp },
} as const;

export const passwordSetupView = {
  type: 'object',
  required: ['password_setup_url', 'expires_at'],
  properties: { password_setup_url: { type: 'string', format: 'uri' }, expires_at: timestamp },
} as const;

export const grantView = {
  type: 'object',
  required: ['client_id', 'client_name', 'scopes', 'inserted_at', 'updated_at'],
  properties: {
    client_id: { type: 'string' }, client_name: { type: 'string' }, scopes: { type: 'array', items: { type: 'string' } },
    inserted_at: timestamp, updated_at: timestamp,
  },
} as const;

export const userPath = pathParams({ id: uuidParam });
export const userClientPath = pathParams({ id: uuidParam, client_id: clientIdParam });
