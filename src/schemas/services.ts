// Services: print services and integrations (CONTRACT §4; seed: the Service Configuration page).
import { SERVICE_TYPES } from '../../entities/index.js';
import { SERVICE_ID } from '../domain/clients.js';
import { clientIdParam, displayName, pathParams, permissionList, timestamp } from './common.js';

export const serviceView = {
  type: 'object',
  required: ['client_id', 'name', 'service_type', 'permissions', 'inserted_at', 'updated_at'],
  properties: {
    client_id: { type: 'string', description: 'the System ID' },
    name: { type: 'string' },
    service_type: { type: 'string', enum: [...SERVICE_TYPES] },
    permissions: { type: 'array', items: { type: 'string' } },
    inserted_at: timestamp,
    updated_at: timestamp,
  },
} as const;

/** The two responses that show a service's secret: creation and regenerate_secret (CONTRACT §4). */
export const serviceWithSecretView = {
  ...serviceView,
  required: [...serviceView.required, 'client_secret'],
  properties: { ...serviceView.properties, client_secret: { type: 'string', description: 'shown this once' } },
} as const;

export const serviceId = { type: 'string', pattern: SERVICE_ID.source, description: 'the System ID, e.g. printer_service_001' } as const;
export const serviceType = { type: 'string', enum: [...SERVICE_TYPES] } as const;

export const newServiceBody = {
  type: 'object',
  additionalProperties: false,
  required: ['client_id', 'name', 'service_type'],
  properties: {
    client_id: serviceId,
    name: displayName,
    service_type: serviceType,
    permissions: { ...permissionList, description: 'from the catalog; a PRINT_SERVICE also gets printer:report (CONTRACT §5)' },
  },
} as const;

export const servicePatchBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: {
    name: displayName,
    permissions: { ...permissionList, description: 'replaces the whole set, printer:report included (CONTRACT §5)' },
    service_type: { description: 'fixed at creation: any value is refused with 422' },
  },
} as const;

export const servicePath = pathParams({ client_id: clientIdParam });
