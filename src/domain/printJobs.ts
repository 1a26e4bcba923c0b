// Print jobs (CONTRACT §9): a portal submits a document for a printer, the print service that owns the printer
// claims and prints it (src/domain/printQueue.ts), reports how it went. The document may hold health data: it is
// stored only while the job is queued or printing (a CHECK constraint holds every path to that), and it is never
// logged, audited or returned except to the claiming service. Audit events name ids, type, size and copies only:
// a title can name a patient.
import type { EntityManager } from 'typeorm';
import type { ClientType, PrintContentType, PrintJobStatus } from '../../entities/index.js';
import type { Queryable } from '../notifications.js';
import { type Actor, recordAudit, recordAuditEach } from './audit.js';
import { Conflict, Invalid, NotFound, TooLarge } from './errors.js';
import { Conditions, listPage } from './listing.js';

export interface PrintJobView {
  id: string;
  printer_id: string;
  service_id: string;
  title: string;
  content_type: PrintContentType;
  size: number;
  copies: number;
  status: PrintJobStatus;
  error: string | null;
  attempts: number;
  submitted_by: string;
  inserted_at: Date;
  updated_at: Date;
}

export interface NewPrintJob {
  printer_id: string;
  title: string;
  content_type: PrintContentType;
  /** Base64, as the schema checked; at most MAX_DOCUMENT_BYTES decoded. */
  document: string;
  copies: number;
}

export interface PrintJobFilter {
  status?: PrintJobStatus;
  printer_id?: string;
  service_id?: string;
}

/** Tells the claims waiting for a service's jobs, on every instance, that one may be queued; sent with `via`'s commit. */
export type JobAnnouncer = (via: Queryable, serviceId: string) => Promise<void>;

/** Who looks at jobs: an ADMIN holding printer:read sees every job, anyone else the jobs it submitted (§9). */
export interface JobViewer {
  clientId: string;
  seesEveryJob: boolean;
}

export const MAX_DOCUMENT_BYTES = 10 * 1024 * 1024;
export const JOB_COLUMNS = 'id, printer_id, service_id, title, content_type, size, copies, status, error, attempts, submitted_by, inserted_at, updated_at';

export function jobViewer(caller: { clientId: string; clientType: ClientType; scopes: ReadonlySet<string> }): JobViewer {
  return { clientId: caller.clientId, seesEveryJob: caller.clientType === 'ADMIN' && caller.scopes.has('printer:read') };
}

/**
 * Queues a job on a printer that is enabled and online. The printer's row is share-locked until the commit, so a
 * concurrent disable or delete waits for this job and then cancels it: no job is left queued on a disabled printer.
 */
export async function submitPrintJob(
  manager: EntityManager, actor: Actor, submittedBy: string, input: NewPrintJob, announce: JobAnnouncer,
): Promise<PrintJobView> {
  const document = Buffer.from(input.document, 'base64');
  if (document.length > MAX_DOCUMENT_BYTES) {
    throw new TooLarge(`the document is ${document.length} bytes decoded; at most ${MAX_DOCUMENT_BYTES} (10 MiB) are accepted`);
  }
  return withoutParameters(() => manager.transaction(async (tx) => {
    const printers: Array<{ service_id: string; enabled: boolean; status: string }> = await tx.query(
      `SELECT sp.service_id, sp.enabled, s.status FROM service_printers sp JOIN system_printers s ON s.id = sp.printer_id
       WHERE sp.id = $1 FOR SHARE OF sp`, [input.printer_id],
    );
    if (!printers.length) {
      throw Invalid.property('printer_id', 'existence', 'no printer has this id', { printer_id: input.printer_id });
    }
    const printer = printers[0];
    if (!printer.enabled) throw new Conflict('the printer is not available: it is disabled');
    if (printer.status !== 'online') throw new Conflict(`the printer is not available: it is ${printer.status}`);
    const rows: PrintJobView[] = await tx.query(
      `INSERT INTO print_jobs (printer_id, service_id, title, content_type, document, size, copies, submitted_by)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${JOB_COLUMNS}`,
      [input.printer_id, printer.service_id, input.title, input.content_type, document, document.length, input.copies, submittedBy],
    );
    const job = rows[0];
    await recordAudit(tx, actor, 'print_job.submit', { type: 'print_job', id: job.id }, auditDetails(job));
    await announce(tx, job.service_id);
    return job;
  }));
}

/** A page of the jobs `viewer` may see, in the contract's order. */
export async function listPrintJobs(
  manager: EntityManager, viewer: JobViewer, filter: PrintJobFilter, page: number, pageSize: number,
): Promise<{ items: PrintJobView[]; total: number }> {
  const where = new Conditions()
    .equals('submitted_by', viewer.seesEveryJob ? undefined : viewer.clientId)
    .equals('status', filter.status).equals('printer_id', filter.printer_id).equals('service_id', filter.service_id);
  return listPage<PrintJobView>(manager, 'print_jobs', JOB_COLUMNS, where, page, pageSize);
}

/** One job `viewer` may see; any other is NotFound, like an unknown id. */
export async function getPrintJob(manager: EntityManager, viewer: JobViewer, id: string): Promise<PrintJobView> {
  const rows: PrintJobView[] = await manager.query(
    `SELECT ${JOB_COLUMNS} FROM print_jobs WHERE id = $1 AND ($2::text IS NULL OR submitted_by = $2)`,
    [id, viewer.seesEveryJob ? null : viewer.clientId],
  );
  if (!rows.length) throw new NotFound();
  return rows[0];
}

/** Cancels a job that is still queued; its document goes in the same statement (§9). */
export async function cancelPrintJob(manager: EntityManager, actor: Actor, viewer: JobViewer, id: string): Promise<PrintJobView> {
  return manager.transaction(async (tx) => {
    // The row lock waits for a claim taking this job at this moment, so the status read here is the final one.
    const rows: Array<{ status: PrintJobStatus }> = await tx.query(
      'SELECT status FROM print_jobs WHERE id = $1 AND ($2::text IS NULL OR submitted_by = $2) FOR UPDATE',
      [id, viewer.seesEveryJob ? null : viewer.clientId],
    );
    if (!rows.length) throw new NotFound();
    if (rows[0].status !== 'queued') throw new Conflict(`the job is ${rows[0].status}: only a queued job can be canceled`);
    const [job] = await endJobs(tx, 'id = $1', [id], 'canceled', null);
    await recordAudit(tx, actor, 'print_job.cancel', { type: 'print_job', id }, { ...auditDetails(job), reason: 'requested' });
    return job;
  });
}

/** The claiming print service reports a job it is printing as printed or failed; another service's job is NotFound. */
export async function reportPrintJob(
  manager: EntityManager, actor: Actor, serviceId: string, id: string, report: { status: 'printed' | 'failed'; error?: string | null },
): Promise<PrintJobView> {
  return manager.transaction(async (tx) => {
    const rows: Array<{ status: PrintJobStatus }> = await tx.query(
      'SELECT status FROM print_jobs WHERE id = $1 AND service_id = $2 FOR UPDATE', [id, serviceId],
    );
    if (!rows.length) throw new NotFound();
    if (rows[0].status !== 'printing') throw new Conflict(`the job is ${rows[0].status}: only a job being printed can be reported`);
    const error = report.status === 'failed' ? report.error ?? null : null;
    const [job] = await endJobs(tx, 'id = $1', [id], report.status, error);
    // The service's error text is not audited: it may quote the document or its title.
    await recordAudit(tx, actor, `print_job.${report.status}`, { type: 'print_job', id }, auditDetails(job));
    return job;
  });
}

/** Disabling or removing a printer cancels its queued jobs, in the caller's transaction (§9). */
export async function cancelPrinterJobs(tx: EntityManager, actor: Actor, printerId: string, reason: string): Promise<number> {
  const jobs = await endJobs(tx, `printer_id = $1 AND status = 'queued'`, [printerId], 'canceled', null);
  await auditCancels(tx, actor, jobs, reason);
  return jobs.length;
}

/**
 * Deleting a print service cancels its queued jobs (§9), and its jobs being printed too: with its credentials gone
 * it can never report them, and their documents would otherwise wait for the lease to run out.
 */
export async function cancelServiceJobs(tx: EntityManager, actor: Actor, serviceId: string): Promise<number> {
  const jobs = await endJobs(tx, `service_id = $1 AND status IN ('queued', 'printing')`, [serviceId], 'canceled', null);
  await auditCancels(tx, actor, jobs, 'service deleted');
  return jobs.length;
}

/** Ends the jobs `where` selects: the new status, the document deleted and the lease dropped in one statement. */
export async function endJobs(
  tx: EntityManager, where: string, params: unknown[], status: 'printed' | 'failed' | 'canceled', error: string | null,
): Promise<PrintJobView[]> {
  const n = params.length;
  return tx.query(
    `WITH ended AS (UPDATE print_jobs SET status = $${n + 1}, error = $${n + 2}, document = NULL, lease_expires_at = NULL,
       updated_at = now() WHERE ${where} RETURNING ${JOB_COLUMNS})
     SELECT * FROM ended ORDER BY inserted_at, id`,
    [...params, status, error],
  );
}

export async function auditCancels(tx: EntityManager, actor: Actor, jobs: PrintJobView[], reason: string): Promise<void> {
  await recordAuditEach(tx, actor, 'print_job.cancel', jobs.map((job) => ({
    target: { type: 'print_job', id: job.id }, details: { ...auditDetails(job), reason },
  })));
}

/** What the audit log says about a job: never its document, title or error text (health data, §9). */
export function auditDetails(job: PrintJobView): Record<string, unknown> {
  return {
    printer_id: job.printer_id, service_id: job.service_id, content_type: job.content_type,
    size: job.size, copies: job.copies, attempts: job.attempts,
  };
}

/**
 * TypeORM's QueryFailedError carries the statement's parameters, and so the document, to whoever logs it: they are
 * replaced before the error travels on.
 */
async function withoutParameters<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err && typeof err === 'object' && 'parameters' in err) (err as { parameters: unknown }).parameters = ['[omitted]'];
    throw err;
  }
}
