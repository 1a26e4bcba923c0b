import { AuditEvent } from './AuditEvent.js';
import { Client } from './Client.js';
import { Connection } from './Connection.js';
import { Membership } from './Membership.js';
import { OidcPayload } from './OidcPayload.js';
import { Permission } from './Permission.js';
import { PrintJob } from './PrintJob.js';
import { ServicePrinter } from './ServicePrinter.js';
import { Setting } from './Setting.js';
import { SystemPrinter } from './SystemPrinter.js';
import { User } from './User.js';

export { AuditEvent, Client, Connection, Membership, OidcPayload, Permission, PrintJob, Setting, User };
export { CLIENT_TYPES, SERVICE_TYPES, type ClientType } from './Client.js';
export { PRINTER_STATUSES, type PrinterStatus } from './SystemPrinter.js';
export { PRINT_CONTENT_TYPES, PRINT_JOB_STATUSES, type PrintContentType, type PrintJobStatus } from './PrintJob.js';

export const ENTITIES = [AuditEvent, Client, Connection, Membership, OidcPayload, Permission, Setting, User, SystemPrinter, ServicePrinter, PrintJob];
