// Print jobs and the printers one can print on (CONTRACT §9).
import { PRINT_CONTENT_TYPES, PRINT_JOB_STATUSES } from '../../entities/index.js';
import { SERVICE_ID } from '../domain/clients.js';
import { listQuery, pathParams, timestamp, uuidParam } from './common.js';
import { printerStatus } from './printers.js';

/** The largest request body of POST /api/print_jobs: 10 MiB in base64 is 13,981,016 characters, plus the other fields. */
export const PRINT_JOB_BODY_LIMIT = '14mb';

// PostgreSQL text cannot hold NUL: refused as input (422) instead of failing in the database (CONTRACT §3 "Hostile text").
const NO_NUL = '^[^\\u0000]*$';

export const printJobStatus = { type: 'string', enum: [...PRINT_JOB_STATUSES] } as const;
const serviceIdFilter = { type: 'string', pattern: SERVICE_ID.source, description: 'the System ID of a print service' } as const;

export const printablePrinterView = {
  type: 'object',
  required: ['id', 'name', 'service_id', 'status'],
  properties: {
    id: { type: 'string', format: 'uuid', description: 'the printer_id of a print job' },
    name: { type: 'string', description: 'friendly name' },
    service_id: { type: 'string' },
    status: printerStatus,
  },
} as const;

export const printablePrintersQuery = listQuery({ service_id: serviceIdFilter });

export const printJobView = {
  type: 'object',
  required: ['id', 'printer_id', 'service_id', 'title', 'content_type', 'size', 'copies', 'status', 'error', 'attempts',
    'submitted_by', 'inserted_at', 'updated_at'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    printer_id: { type: 'string', format: 'uuid' },
    service_id: { type: 'string' },
    title: { type: 'string' },
    content_type: { type: 'string', enum: [...PRINT_CONTENT_TYPES] },
    size: { type: 'integer', description: 'bytes of the decoded document' },
    copies: { type: 'integer' },
    status: printJobStatus,
    error: { type: ['string', 'null'] },
    attempts: { type: 'integer', description: 'how many times the job was claimed' },
    submitted_by: { type: 'string', description: 'the id of the client whose token submitted it' },
    inserted_at: timestamp,
    updated_at: timestamp,
  },
} as const;

/** A claimed job: the only response that carries the document (CONTRACT §9). */
export const claimedJobView = {
  ...printJobView,
  required: [...printJobView.required, 'document'],
  properties: { ...printJobView.properties, document: { type: 'string', contentEncoding: 'base64' } },
} as const;

export const newPrintJobBody = {
  type: 'object',
  additionalProperties: false,
  required: ['printer_id', 'title', 'content_type', 'document'],
  properties: {
    printer_id: { type: 'string', format: 'uuid', description: 'the id of a printer that GET /api/printers lists' },
    title: { type: 'string', minLength: 1, maxLength: 255, pattern: NO_NUL },
    content_type: { type: 'string', enum: [...PRINT_CONTENT_TYPES] },
    document: {
      type: 'string', format: 'base64', contentEncoding: 'base64', minLength: 1,
      description: 'base64 (RFC 4648 §4, padded); at most 10 MiB decoded, else 413',
    },
    copies: { type: 'integer', minimum: 1, maximum: 99, default: 1 },
  },
} as const;

export const printJobsQuery = listQuery({
  status: printJobStatus,
  printer_id: { type: 'string', format: 'uuid' },
  service_id: serviceIdFilter,
});

export const printJobPath = pathParams({ id: uuidParam });

export const claimBody = {
  type: 'object',
  additionalProperties: false,
  properties: {
    wait: { type: 'number', minimum: 0, maximum: 30, default: 0, description: 'seconds to wait when no job is queued' },
    limit: { type: 'integer', minimum: 1, maximum: 10, default: 1 },
  },
} as const;

export const jobReportBody = {
  type: 'object',
  additionalProperties: false,
  required: ['status'],
  properties: {
    status: { type: 'string', enum: ['printed', 'failed'] },
    error: { type: ['string', 'null'], maxLength: 1000, pattern: NO_NUL, description: 'why it failed; kept only with "failed"' },
  },
} as const;
