import { AuditEvent } from './AuditEvent.js';
import { Client } from './Client.js';
import { Connection } from './Connection.js';
import { Membership } from './Membership.js';
import { OidcPayload } from './OidcPayload.js';
import { Permission } from './Permission.js';
import { ServicePrinter } from './ServicePrinter.js';
import { Setting } from './Setting.js';
import { SystemPrinter } from './SystemPrinter.js';
import { User } from './User.js';

export { AuditEvent, Client, Connection, Membership, OidcPayload, Permission, Setting, User };
export { CLIENT_TYPES, SERVICE_TYPES, type ClientType } from './Client.js';
export { PRINTER_STATUSES, type PrinterStatus } from './SystemPrinter.js';

export const ENTITIES = [AuditEvent, Client, Connection, Membership, OidcPayload, Permission, Setting, User, SystemPrinter, ServicePrinter];
