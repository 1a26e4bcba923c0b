// Users and their memberships (CONTRACT §2, §6, §8).
import { clientId } from './common.js';

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
