// Printers of print services (CONTRACT §2, §4).
import { PRINTER_STATUSES } from '../../entities/index.js';
import { clientIdParam, displayName, pathParams, timestamp, uuidParam } from './common.js';

export const printerStatus = { type: 'string', enum: [...PRINTER_STATUSES] } as const;

export const systemPrinterView = {
  type: 'object',
  required: ['id', 'service_id', 'system_name', 'description', 'status', 'last_seen_at'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    service_id: { type: 'string' },
    system_name: { type: 'string' },
    description: { type: 'string' },
    status: printerStatus,
    last_seen_at: timestamp,
  },
} as const;

export const servicePrinterView = {
  type: 'object',
  required: ['id', 'service_id', 'printer_id', 'name', 'enabled', 'status', 'system_name', 'last_seen_at', 'inserted_at', 'updated_at'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    service_id: { type: 'string' },
    printer_id: { type: 'string', format: 'uuid' },
    name: { type: 'string', description: 'friendly name' },
    enabled: { type: 'boolean', description: 'availability' },
    status: printerStatus,
    system_name: { type: 'string' },
    last_seen_at: timestamp,
    inserted_at: timestamp,
    updated_at: timestamp,
  },
} as const;

export const newPrinterBody = {
  type: 'object',
  additionalProperties: false,
  required: ['printer_id', 'name'],
  properties: { printer_id: { type: 'string', format: 'uuid', description: 'one of its available_printers' }, name: displayName },
} as const;

export const printerPatchBody = {
  type: 'object',
  additionalProperties: false,
  minProperties: 1,
  properties: { name: displayName, enabled: { type: 'boolean' } },
} as const;

export const MAX_REPORTED_PRINTERS = 500;

export const reportBody = {
  type: 'object',
  additionalProperties: false,
  required: ['printers'],
  properties: {
    printers: {
      type: 'array',
      maxItems: MAX_REPORTED_PRINTERS,
      description: 'every printer the service sees now; printers left out become unknown',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['system_name', 'status'],
        properties: {
          system_name: { type: 'string', minLength: 1, maxLength: 255, pattern: '\\S' },
          description: { type: 'string', maxLength: 1024, default: '' },
          status: printerStatus,
        },
      },
    },
  },
} as const;

export const printerPath = pathParams({ client_id: clientIdParam, id: uuidParam });
