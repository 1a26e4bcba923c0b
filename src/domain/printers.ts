// Printers of print services (CONTRACT §2): the system printers a service reports it sees, and the ones
// the admin assigned to it with a friendly name and an availability switch.
import type { EntityManager } from 'typeorm';
import { PRINTER_STATUSES, type PrinterStatus } from '../../entities/index.js';
import { type Actor, recordAudit } from './audit.js';
import { UUID } from './clients.js';
import { Conflict, Forbidden, Invalid, type InvalidEntry, NotFound, isUniqueViolation } from './errors.js';
import { Conditions, listPage } from './listing.js';
import { cancelPrinterJobs } from './printJobs.js';
import { lockService } from './services.js';

export interface SystemPrinterView {
  id: string;
  service_id: string;
  system_name: string;
  description: string;
  status: PrinterStatus;
  last_seen_at: Date;
}

export interface ServicePrinterView {
  id: string;
  service_id: string;
  printer_id: string;
  name: string;
  enabled: boolean;
  status: PrinterStatus;
  system_name: string;
  last_seen_at: Date;
  inserted_at: Date;
  updated_at: Date;
}

/** A printer one can print on now (CONTRACT §9 GET /api/printers). */
export interface PrintablePrinterView {
  id: string;
  name: string;
  service_id: string;
  status: PrinterStatus;
}

export interface ReportedPrinter {
  system_name: string;
  description?: string;
  status: PrinterStatus;
}

// UPDATE and DELETE go through a CTE: TypeORM's query() answers them with [rows, count], a SELECT with rows.
const SYSTEM_COLUMNS = 'id, service_id, system_name, description, status, last_seen_at';
const SERVICE_PRINTER_SELECT = `SELECT sp.id, sp.service_id, sp.printer_id, sp.name, sp.enabled, s.status, s.system_name,
  s.last_seen_at, sp.inserted_at, sp.updated_at
  FROM service_printers sp JOIN system_printers s ON s.id = sp.printer_id`;

/** The print service's row, locked; an INTEGRATION has no printers (CONTRACT §4: 404). */
async function lockPrintService(tx: EntityManager, serviceId: string) {
  return lockService(tx, serviceId, 'PRINT_SERVICE');
}

async function assertPrintService(manager: EntityManager, serviceId: string): Promise<void> {
  const rows: unknown[] = await manager.query(
    `SELECT 1 FROM clients WHERE id = $1 AND client_type = 'PRINT_SERVICE'`, [serviceId],
  );
  if (!rows.length) throw new NotFound();
}

async function servicePrinter(manager: EntityManager, serviceId: string, id: string): Promise<ServicePrinterView> {
  const rows: ServicePrinterView[] = await manager.query(`${SERVICE_PRINTER_SELECT} WHERE sp.id = $1 AND sp.service_id = $2`, [id, serviceId]);
  if (!rows.length) throw new NotFound();
  return rows[0];
}

/** The printers assigned to the service, each with its system printer's status and when it was last seen. */
export async function listServicePrinters(manager: EntityManager, serviceId: string): Promise<ServicePrinterView[]> {
  await assertPrintService(manager, serviceId);
  return manager.query(`${SERVICE_PRINTER_SELECT} WHERE sp.service_id = $1 ORDER BY sp.inserted_at, sp.id`, [serviceId]);
}

/** System printers the service reported and that are not assigned yet: what "Add printer" offers. */
export async function listAvailablePrinters(manager: EntityManager, serviceId: string): Promise<SystemPrinterView[]> {
  await assertPrintService(manager, serviceId);
  return manager.query(
    `SELECT ${SYSTEM_COLUMNS} FROM system_printers s WHERE s.service_id = $1
     AND NOT EXISTS (SELECT 1 FROM service_printers sp WHERE sp.printer_id = s.id)
     ORDER BY s.inserted_at, s.id`,
    [serviceId],
  );
}

export async function assignPrinter(
  manager: EntityManager, actor: Actor, serviceId: string, input: { printer_id: string; name: string },
): Promise<ServicePrinterView> {
  return manager.transaction(async (tx) => {
    await lockPrintService(tx, serviceId);
    const reported: Array<{ system_name: string }> = UUID.test(input.printer_id)
      ? await tx.query('SELECT system_name FROM system_printers WHERE id = $1 AND service_id = $2', [input.printer_id, serviceId])
      : [];
    // A printer another service reported is, to this one, no printer at all.
    if (!reported.length) {
      throw Invalid.property('printer_id', 'existence', 'no printer that this service reported has this id', { printer_id: input.printer_id });
    }
    let rows: Array<{ id: string }>;
    try {
      rows = await tx.query(
        'INSERT INTO service_printers (service_id, printer_id, name) VALUES ($1, $2, $3) RETURNING id',
        [serviceId, input.printer_id, input.name],
      );
    } catch (err) {
      if (isUniqueViolation(err)) throw new Conflict('this printer is already assigned to the service');
      throw err;
    }
    await recordAudit(tx, actor, 'printer.assign', { type: 'service_printer', id: rows[0].id }, {
      service_id: serviceId, printer_id: input.printer_id, system_name: reported[0].system_name, name: input.name,
    });
    return servicePrinter(tx, serviceId, rows[0].id);
  });
}

/**
 * The printers one can print on now: enabled, and their system printer online (CONTRACT §9). `service_id` is the
 * caller's filter; `own_service_id` narrows a caller that sees only its own printers.
 */
export async function listPrintablePrinters(
  manager: EntityManager, filter: { service_id?: string; own_service_id?: string }, page: number, pageSize: number,
): Promise<{ items: PrintablePrinterView[]; total: number }> {
  const printable = `(SELECT sp.id, sp.name, sp.service_id, s.status, sp.inserted_at
    FROM service_printers sp JOIN system_printers s ON s.id = sp.printer_id WHERE sp.enabled AND s.status = 'online') printable`;
  return listPage(manager, printable, 'id, name, service_id, status', new Conditions().equals('service_id', filter.service_id).equals('service_id', filter.own_service_id), page, pageSize);
}

/** Renames the printer and/or switches its availability; disabling it cancels its queued jobs (CONTRACT §9). */
export async function updateServicePrinter(
  manager: EntityManager, actor: Actor, serviceId: string, id: string, changes: { name?: string; enabled?: boolean },
): Promise<ServicePrinterView> {
  return manager.transaction(async (tx) => {
    await lockPrintService(tx, serviceId);
    if (!UUID.test(id)) throw new NotFound();
    const rows: unknown[] = await tx.query(
      `WITH changed AS (UPDATE service_printers SET name = COALESCE($3, name), enabled = COALESCE($4, enabled), updated_at = now()
       WHERE id = $1 AND service_id = $2 RETURNING id) SELECT id FROM changed`,
      [id, serviceId, changes.name ?? null, changes.enabled ?? null],
    );
    if (!rows.length) throw new NotFound();
    const canceled = changes.enabled === false ? await cancelPrinterJobs(tx, actor, id, 'printer disabled') : 0;
    await recordAudit(tx, actor, 'printer.update', { type: 'service_printer', id }, {
      service_id: serviceId, ...changes, ...(canceled ? { canceled_jobs: canceled } : {}),
    });
    return servicePrinter(tx, serviceId, id);
  });
}

/**
 * Unassigns the printer; its system printer stays and is available again; its queued jobs are canceled (CONTRACT §9).
 * Returns what was removed.
 */
export async function removeServicePrinter(
  manager: EntityManager, actor: Actor, serviceId: string, id: string,
): Promise<{ printer_id: string; name: string }> {
  return manager.transaction(async (tx) => {
    await lockPrintService(tx, serviceId);
    if (!UUID.test(id)) throw new NotFound();
    const rows: Array<{ printer_id: string; name: string }> = await tx.query(
      `WITH removed AS (DELETE FROM service_printers WHERE id = $1 AND service_id = $2 RETURNING printer_id, name)
       SELECT printer_id, name FROM removed`, [id, serviceId],
    );
    if (!rows.length) throw new NotFound();
    const canceled = await cancelPrinterJobs(tx, actor, id, 'printer removed');
    await recordAudit(tx, actor, 'printer.remove', { type: 'service_printer', id }, {
      service_id: serviceId, ...rows[0], ...(canceled ? { canceled_jobs: canceled } : {}),
    });
    return rows[0];
  });
}

function assertReport(printers: ReportedPrinter[]): void {
  const problems: InvalidEntry[] = [];
  const seen = new Set<string>();
  printers.forEach((p, i) => {
    if (!PRINTER_STATUSES.includes(p.status)) {
      problems.push({ entry: `$.printers[${i}].status`, entry_type: 'json_data_property',
        rules: [{ rule: 'enum', description: `must be one of ${PRINTER_STATUSES.join(', ')}`, params: { allowedValues: PRINTER_STATUSES } }] });
    }
    if (seen.has(p.system_name)) {
      problems.push({ entry: `$.printers[${i}].system_name`, entry_type: 'json_data_property',
        rules: [{ rule: 'uniqueItems', description: 'is listed twice in this report', params: { system_name: p.system_name } }] });
    }
    seen.add(p.system_name);
  });
  if (problems.length) throw new Invalid(problems);
}

/**
 * A print service's report of every printer it sees now (CONTRACT §4): listed printers are added or
 * updated and marked seen; printers it no longer lists become `unknown`. The audit log records a report
 * that changed something (a printer appeared, changed status or description, or was lost), not a heartbeat.
 */
export async function reportPrinters(
  manager: EntityManager, actor: Actor, serviceId: string, printers: ReportedPrinter[],
): Promise<SystemPrinterView[]> {
  assertReport(printers);
  return manager.transaction(async (tx) => {
    const service = await lockService(tx, serviceId);
    if (service.service_type !== 'PRINT_SERVICE') throw new Forbidden('forbidden');
    const names = printers.map((p) => p.system_name);
    // One statement: every CTE reads the snapshot from before it, so `prior` holds the last report's state.
    const rows: Array<SystemPrinterView & { change: 'added' | 'changed' | 'lost' | null }> = await tx.query(
      `WITH reported AS (
         SELECT * FROM unnest($2::text[], $3::text[], $4::text[]) WITH ORDINALITY AS r(system_name, description, status, n)),
       prior AS (SELECT id, description, status FROM system_printers WHERE service_id = $1),
       upserted AS (
         INSERT INTO system_printers (service_id, system_name, description, status)
         SELECT $1, system_name, description, status FROM reported ORDER BY n
         ON CONFLICT (service_id, system_name) DO UPDATE SET description = EXCLUDED.description, status = EXCLUDED.status,
           last_seen_at = now(), updated_at = CASE
             WHEN (system_printers.description, system_printers.status) IS DISTINCT FROM (EXCLUDED.description, EXCLUDED.status)
             THEN now() ELSE system_printers.updated_at END
         RETURNING ${SYSTEM_COLUMNS}, inserted_at),
       lost AS (
         UPDATE system_printers SET status = 'unknown', updated_at = now()
         WHERE service_id = $1 AND status <> 'unknown' AND NOT (system_name = ANY($2::text[]))
         RETURNING ${SYSTEM_COLUMNS}, inserted_at)
       SELECT u.*, CASE WHEN p.id IS NULL THEN 'added'
         WHEN (p.description, p.status) IS DISTINCT FROM (u.description, u.status) THEN 'changed' END AS change
       FROM upserted u LEFT JOIN prior p ON p.id = u.id
       UNION ALL SELECT l.*, 'lost' FROM lost l
       UNION ALL SELECT ${SYSTEM_COLUMNS}, inserted_at, NULL FROM system_printers
         WHERE service_id = $1 AND status = 'unknown' AND NOT (system_name = ANY($2::text[]))
       ORDER BY inserted_at, id`,
      [serviceId, names, printers.map((p) => p.description ?? ''), printers.map((p) => p.status)],
    );
    const named = (change: string) => rows.filter((r) => r.change === change).map((r) => r.system_name);
    const changed = rows.filter((r) => r.change === 'changed').map((r) => ({ system_name: r.system_name, status: r.status }));
    if (rows.some((r) => r.change)) {
      await recordAudit(tx, actor, 'printer.report', { type: 'service', id: serviceId }, {
        added: named('added'), changed, unknown: named('lost'),
      });
    } else {
      // A heartbeat moved only last_seen_at: losing that to a crash is harmless, so skip the WAL flush wait.
      await tx.query('SET LOCAL synchronous_commit = off');
    }
    return rows.map(({ id, service_id, system_name, description, status, last_seen_at }) => ({
      id, service_id, system_name, description, status, last_seen_at,
    }));
  });
}
