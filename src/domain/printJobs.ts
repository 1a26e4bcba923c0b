// Print jobs (CONTRACT §9): a portal submits a document for a printer, the print service that owns the printer
// claims and prints it (src/domain/printQueue.ts), reports how it went. The document may hold health data: it is
// stored only while the job is queued or printing (a CHECK constraint holds every path to that), and it is never
// logged, audited or returned except to the claiming service. Audit events name ids, type, size and copies only:
// a title can name a patient.
import type { EntityManager } from 'typeorm';
import type { ClientType, PrintContentType, PrintJobStatus } from '../../entities/index.js';
import type { Queryable } from '../notifications.js';
import { type Actor, auditEachRow } from './audit.js';
import { Conflict, Invalid, NotFound, TooLarge } from './errors.js';
import { Conditions, listPage } from './listing.js';
import { isAdmin } from './visibility.js';

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

/**
 * Tells the claims waiting for a service's jobs, on every instance, that one may be queued (sent through `via`, after
 * the commit that queued it). Best effort: a lost announcement delays a job until a claim looks again, never loses it.
 */
export type JobAnnouncer = (via: Queryable, serviceId: string) => Promise<void>;

/** Who looks at jobs: an ADMIN holding printer:read sees every job, anyone else the jobs it submitted (§9). */
export interface JobViewer {
  clientId: string;
  seesEveryJob: boolean;
}

export const MAX_DOCUMENT_BYTES = 10 * 1024 * 1024;
export const JOB_COLUMNS =
  'id, printer_id, service_id, title, content_type, size, copies, status, error, attempts, submitted_by, inserted_at, updated_at';
/** JOB_COLUMNS of the row alias `j`, for statements that join. */
export const J_COLUMNS = JOB_COLUMNS.split(', ').map((c) => `j.${c}`).join(', ');

export function jobViewer(caller: { clientId: string; clientType: ClientType; scopes: ReadonlySet<string> }): JobViewer {
  return { clientId: caller.clientId, seesEveryJob: isAdmin(caller) && caller.scopes.has('printer:read') };
}

/**
 * Queues a job on a printer that is enabled and online, and audits it, in one statement. The printer's row is
 * share-locked until it commits, so a concurrent disable or delete waits for this job and then cancels it: no job
 * is left queued on a disabled printer.
 */
export async function submitPrintJob(
  manager: EntityManager, actor: Actor, submittedBy: string, input: NewPrintJob, announce: JobAnnouncer,
): Promise<PrintJobView> {
  const document = Buffer.from(input.document, 'base64');
  if (document.length > MAX_DOCUMENT_BYTES) {
    throw new TooLarge(`the document is ${document.length} bytes decoded; at most ${MAX_DOCUMENT_BYTES} (10 MiB) are accepted`);
  }
  const audit = auditEachRow('audited', {
    from: 'job', targetType: 'print_job', targetId: 'id', details: jobAuditDetails('job'),
  }, actor, 'print_job.submit', 8);
  const rows: Array<PrintJobView & { printer_enabled: boolean; printer_status: string }> = await withoutParameters(() => manager.query(
    `WITH printer AS (
       SELECT sp.service_id, sp.enabled, s.status FROM service_printers sp JOIN system_printers s ON s.id = sp.printer_id
       WHERE sp.id = $1 FOR SHARE OF sp),
     job AS (
       INSERT INTO print_jobs (printer_id, service_id, title, content_type, document, size, copies, submitted_by)
       SELECT $1, p.service_id, $2, $3, $4, $5, $6, $7 FROM printer p WHERE p.enabled AND p.status = 'online'
       RETURNING ${JOB_COLUMNS}),
     ${audit.sql}
     SELECT p.enabled AS printer_enabled, p.status AS printer_status, job.* FROM printer p LEFT JOIN job ON true`,
    [input.printer_id, input.title, input.content_type, document, document.length, input.copies, submittedBy, ...audit.params],
  ));
  if (!rows.length) throw Invalid.property('printer_id', 'existence', 'no printer has this id', { printer_id: input.printer_id });
  const { printer_enabled: enabled, printer_status: status, ...job } = rows[0];
  if (!enabled) throw new Conflict('the printer is not available: it is disabled');
  if (status !== 'online') throw new Conflict(`the printer is not available: it is ${status}`);
  await announce(manager, job.service_id);
  return job;
}

/** A page of the jobs `viewer` may see, in the contract's order. */
export async function listPrintJobs(
  manager: EntityManager, viewer: JobViewer, filter: PrintJobFilter, page: number, pageSize: number, order: 'asc' | 'desc' = 'asc',
): Promise<{ items: PrintJobView[]; total: number }> {
  const where = new Conditions()
    .equals('submitted_by', viewer.seesEveryJob ? undefined : viewer.clientId)
    .equals('status', filter.status).equals('printer_id', filter.printer_id).equals('service_id', filter.service_id);
  return listPage<PrintJobView>(manager, 'print_jobs', JOB_COLUMNS, where, page, pageSize, order);
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

/** Cancels a job that is still queued, and audits it, in one statement; its document goes with it (§9). */
export async function cancelPrintJob(manager: EntityManager, actor: Actor, viewer: JobViewer, id: string): Promise<PrintJobView> {
  const visible = { where: 'id = $1 AND ($2::text IS NULL OR submitted_by = $2)', params: [id, viewer.seesEveryJob ? null : viewer.clientId] };
  const [row] = await endJobs(manager, actor, visible, ['queued'], { to: 'canceled', action: 'print_job.cancel', reason: 'requested' });
  if (!row) throw new NotFound();
  if (!row.job) throw new Conflict(`the job is ${row.prior}: only a queued job can be canceled`);
  return row.job;
}

/** The claiming print service reports a job it is printing as printed or failed; another service's job is NotFound. */
export async function reportPrintJob(
  manager: EntityManager, actor: Actor, serviceId: string, id: string, report: { status: 'printed' | 'failed'; error?: string | null },
): Promise<PrintJobView> {
  // The service's error text is kept on the job but not audited: it may quote the document or its title.
  const [row] = await endJobs(manager, actor, { where: 'id = $1 AND service_id = $2', params: [id, serviceId] }, ['printing'], {
    to: report.status, error: report.status === 'failed' ? report.error ?? null : null, action: `print_job.${report.status}`,
  });
  if (!row) throw new NotFound();
  if (!row.job) throw new Conflict(`the job is ${row.prior}: only a job being printed can be reported`);
  return row.job;
}

/** Disabling or removing a printer cancels its queued jobs, in the caller's transaction (§9). */
export async function cancelPrinterJobs(tx: EntityManager, actor: Actor, printerId: string, reason: string): Promise<number> {
  const ended = await endJobs(tx, actor, { where: `printer_id = $1 AND status = 'queued'`, params: [printerId] }, ['queued'],
    { to: 'canceled', action: 'print_job.cancel', reason });
  return ended.filter((row) => row.job).length;
}

/**
 * Deleting a print service cancels its queued jobs (§9), and its jobs being printed too: with its credentials gone
 * it can never report them, and their documents would otherwise wait for the lease to run out.
 */
export async function cancelServiceJobs(tx: EntityManager, actor: Actor, serviceId: string): Promise<number> {
  // The statuses written out, not a parameter: so the planner can use the partial index of live jobs.
  const live = { where: `service_id = $1 AND status IN ('queued', 'printing')`, params: [serviceId] };
  const ended = await endJobs(tx, actor, live, ['queued', 'printing'],
    { to: 'canceled', action: 'print_job.cancel', reason: 'service deleted' });
  return ended.filter((row) => row.job).length;
}

export interface JobEnding {
  to: 'printed' | 'failed' | 'canceled';
  error?: string | null;
  /** The audit action written for each job ended. */
  action: string;
  reason?: string;
}

/**
 * Ends the jobs `select` picks that are in one of the `from` states, and audits each, in one statement: the new status,
 * the document deleted, the lease dropped. The rows are locked first (in the claims' order), so a claim taking one at
 * that moment is waited for and its outcome seen. Returns each picked job's state before, and the job if it ended.
 */
export async function endJobs(
  manager: EntityManager, actor: Actor, select: { where: string; params: unknown[] }, from: PrintJobStatus[], ending: JobEnding,
): Promise<Array<{ prior: PrintJobStatus; job: PrintJobView | null }>> {
  const n = select.params.length;
  const audit = auditEachRow('audited', {
    from: 'ended', targetType: 'print_job', targetId: 'id', details: jobAuditDetails('ended', ending.reason),
  }, actor, ending.action, n + 4);
  const rows: Array<PrintJobView & { prior_status: PrintJobStatus }> = await manager.query(
    `WITH target AS (SELECT id, status FROM print_jobs WHERE ${select.where} ORDER BY inserted_at, id FOR UPDATE),
     ended AS (
       UPDATE print_jobs j SET status = $${n + 1}, error = $${n + 2}, document = NULL, lease_expires_at = NULL, updated_at = now()
       FROM target t WHERE j.id = t.id AND t.status = ANY($${n + 3}::text[]) RETURNING ${J_COLUMNS}),
     ${audit.sql}
     SELECT t.status AS prior_status, e.* FROM target t LEFT JOIN ended e ON e.id = t.id ORDER BY e.inserted_at, e.id`,
    [...select.params, ending.to, ending.error ?? null, from, ...audit.params],
  );
  return rows.map(({ prior_status: prior, ...job }) => ({ prior, job: job.id ? job : null }));
}

/**
 * What the audit log says about a job, as SQL over the row alias `row`: ids, type, size, copies, claims, and why it
 * was ended when that is not the actor's own act. Never its document, title or error text (health data, §9).
 */
export function jobAuditDetails(row: string, reason?: string): Record<string, string> {
  const details: Record<string, string> = Object.fromEntries(
    ['printer_id', 'service_id', 'content_type', 'size', 'copies', 'attempts'].map((column) => [column, `${row}.${column}`]),
  );
  if (reason !== undefined) {
    if (!/^[a-z ]+$/.test(reason)) throw new Error(`not a reason: ${reason}`);
    details.reason = `'${reason}'::text`;
  }
  return details;
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
