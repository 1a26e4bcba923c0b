// How queued print jobs reach print services (CONTRACT §9): claims take jobs with row locks that skip locked rows,
// so each job goes to exactly one claim whichever instance serves it; a claim that finds none waits in memory,
// holding no database connection, until a notification says a job may be there; leases that run out put jobs
// back in the queue, and the third time fail them.
import type { EntityManager } from 'typeorm';
import type { Logger } from '../log.js';
import type { Notifications, Queryable } from '../notifications.js';
import { SYSTEM_ACTOR, auditEachRow } from './audit.js';
import { J_COLUMNS, type JobAnnouncer, type PrintJobView, jobAuditDetails } from './printJobs.js';

export const PRINT_JOBS_CHANNEL = 'print_jobs';
/** A job whose third claim is not reported in time fails with "lease expired" (§9). */
export const MAX_CLAIMS = 3;
const SWEEP_BATCH = 500;

export interface ClaimedJob extends PrintJobView {
  /** Base64, for the claiming service only. */
  document: string;
}

/**
 * Up to `limit` queued jobs of the service on its enabled printers, oldest first, now `printing` under a lease.
 * SKIP LOCKED: concurrent claims (any instance) pass over the rows another claim is taking, never share one.
 */
export async function claimJobs(manager: EntityManager, serviceId: string, limit: number, leaseSeconds: number): Promise<ClaimedJob[]> {
  const rows: Array<PrintJobView & { document: Buffer }> = await manager.query(
    `WITH picked AS (
       SELECT j.id FROM print_jobs j JOIN service_printers sp ON sp.id = j.printer_id AND sp.enabled
       WHERE j.service_id = $1 AND j.status = 'queued'
       ORDER BY j.inserted_at, j.id LIMIT $2
       FOR UPDATE OF j SKIP LOCKED),
     claimed AS (
       UPDATE print_jobs j SET status = 'printing', attempts = j.attempts + 1,
         lease_expires_at = now() + make_interval(secs => $3), updated_at = now()
       FROM picked WHERE j.id = picked.id
       RETURNING ${J_COLUMNS}, j.document)
     SELECT * FROM claimed ORDER BY inserted_at, id`,
    [serviceId, limit, leaseSeconds],
  );
  return rows.map((row) => ({ ...row, document: row.document.toString('base64') }));
}

/**
 * One batch of jobs whose lease ran out, in one statement with their audit events: back to the queue, or `failed`
 * ("lease expired") after the third claim, or `canceled` when their printer was disabled or removed meanwhile (a
 * disabled printer keeps no queued jobs). Safe on every instance at once: SKIP LOCKED, and locking re-reads each
 * row, so a job is swept once. The services of jobs queued again are announced after the commit.
 */
export async function sweepExpiredLeases(manager: EntityManager, announce: JobAnnouncer): Promise<{ swept: number; requeued: string[] }> {
  const failed = auditEachRow('failed_audit', {
    from: `swept WHERE status = 'failed'`, targetType: 'print_job', targetId: 'id', details: jobAuditDetails('swept', 'lease expired'),
  }, SYSTEM_ACTOR, 'print_job.failed', 3);
  const canceled = auditEachRow('canceled_audit', {
    from: `swept WHERE status = 'canceled'`, targetType: 'print_job', targetId: 'id', details: jobAuditDetails('swept', 'printer unavailable'),
  }, SYSTEM_ACTOR, 'print_job.cancel', 8);
  const rows: PrintJobView[] = await manager.query(
    `WITH expired AS (
       SELECT j.id, j.attempts >= $2 AS exhausted, coalesce(sp.enabled, false) AS printable
       FROM print_jobs j LEFT JOIN service_printers sp ON sp.id = j.printer_id
       WHERE j.status = 'printing' AND j.lease_expires_at <= now()
       ORDER BY j.lease_expires_at LIMIT $1
       FOR UPDATE OF j SKIP LOCKED),
     swept AS (
       UPDATE print_jobs j SET
         status = CASE WHEN e.exhausted THEN 'failed' WHEN e.printable THEN 'queued' ELSE 'canceled' END,
         error = CASE WHEN e.exhausted THEN 'lease expired' ELSE j.error END,
         document = CASE WHEN e.printable AND NOT e.exhausted THEN j.document END,
         lease_expires_at = NULL, updated_at = now()
       FROM expired e WHERE j.id = e.id
       RETURNING ${J_COLUMNS}),
     ${failed.sql},
     ${canceled.sql}
     SELECT * FROM swept ORDER BY inserted_at, id`,
    [SWEEP_BATCH, MAX_CLAIMS, ...failed.params, ...canceled.params],
  );
  const requeued = [...new Set(rows.filter((job) => job.status === 'queued').map((job) => job.service_id))];
  for (const serviceId of requeued) await announce(manager, serviceId);
  return { swept: rows.length, requeued };
}

export interface PrintQueueOptions {
  leaseSeconds: number;
  /** Aborted when the instance is closing: waiting claims answer at once with what they have. */
  closing: AbortSignal;
  log: Logger;
}

interface Waiter {
  woken: Promise<void>;
  /** Set when a notification chose this claim: it must look, or hand the wake-up to another claim. */
  wasWoken: boolean;
  wake(): void;
}

/** One instance's side of the queue: its waiting claims and its lease sweeper. */
export class PrintQueue {
  private readonly waiters = new Map<string, Set<Waiter>>();
  private readonly unsubscribe: () => void;
  private readonly sweeper: NodeJS.Timeout;
  private sleeping = 0;
  private sweeping = false;
  private sweepFailing = false;

  constructor(
    private readonly manager: EntityManager, private readonly notifications: Notifications, private readonly options: PrintQueueOptions,
  ) {
    // A payload names a service: one of its waiting claims looks. Null means notifications may have been missed:
    // every waiting claim looks.
    this.unsubscribe = notifications.subscribe(PRINT_JOBS_CHANNEL, (serviceId) => {
      if (serviceId === null) this.wakeAll();
      else this.wakeOne(serviceId);
    });
    // A lease runs out at most a quarter of it (and never more than 5 s) before the sweeper notices.
    this.sweeper = setInterval(() => void this.sweep(), Math.min(5000, Math.max(200, (options.leaseSeconds * 1000) / 4)));
    this.sweeper.unref();
    options.closing.addEventListener('abort', () => this.close(), { once: true });
  }

  /**
   * The JobAnnouncer of this instance: a notification on the shared channel. A failure is logged, not thrown: the job
   * is committed already, and claims find it when they look again (a new claim, or a waiting one at its end).
   */
  readonly announce: JobAnnouncer = (via: Queryable, serviceId: string) => this.notifications.publish(via, PRINT_JOBS_CHANNEL, serviceId)
    .catch((err: Error) => {
      this.options.log.warn({ err: { message: err.message }, service_id: serviceId }, 'could not announce a queued print job');
    });

  /**
   * Claims up to `limit` jobs; when none is queued, waits up to `waitSeconds` for one to be announced, without a
   * database connection. Ends early with what it has (nothing) when `signal` or the instance's closing aborts.
   */
  async claim(serviceId: string, limit: number, waitSeconds: number, signal: AbortSignal): Promise<ClaimedJob[]> {
    const stopped = () => signal.aborted || this.options.closing.aborted;
    const deadline = Date.now() + waitSeconds * 1000;
    for (;;) {
      if (stopped()) return [];
      // Wait-listed before looking: a job announced between the look and the wait still wakes this claim.
      const waiter = this.waitList(serviceId);
      let handOn = false;
      try {
        const jobs = await claimJobs(this.manager, serviceId, limit, this.options.leaseSeconds);
        const left = deadline - Date.now();
        if (jobs.length || left <= 0 || stopped()) {
          // A wake-up during the look may be for a job committed after it began, and a full batch may leave more
          // behind: another waiting claim looks.
          handOn = waiter.wasWoken || jobs.length === limit;
          return jobs;
        }
        this.sleeping++;
        await firstOf(waiter.woken, left, [signal, this.options.closing]).finally(() => this.sleeping--);
        handOn = waiter.wasWoken && stopped();
        if (handOn) return [];
      } finally {
        this.leave(serviceId, waiter);
        if (handOn) this.wakeOne(serviceId);
      }
    }
  }

  /** Claims on this instance that found nothing and are waiting now, with no connection (for tests and metrics). */
  get waiting(): number {
    return this.sleeping;
  }

  /** Ends every lease that ran out, batch after batch, however large the backlog. */
  async sweep(): Promise<void> {
    if (this.sweeping || this.options.closing.aborted) return;
    this.sweeping = true;
    try {
      let swept: number;
      do ({ swept } = await sweepExpiredLeases(this.manager, this.announce)); while (swept === SWEEP_BATCH && !this.options.closing.aborted);
      if (this.sweepFailing) this.options.log.info('the print job lease sweeper works again');
      this.sweepFailing = false;
    } catch (err) {
      // Said once when it starts failing, not every few seconds of an outage.
      if (!this.sweepFailing) this.options.log.warn({ err: { message: (err as Error).message } }, 'the print job lease sweeper failed');
      this.sweepFailing = true;
    } finally {
      this.sweeping = false;
    }
  }

  private close(): void {
    clearInterval(this.sweeper);
    this.unsubscribe();
    this.wakeAll();
  }

  // One claim per notification, not all of them: the others would only find the job taken. A claim that cannot
  // take everything hands the wake-up on (see claim()), so no announced job waits while a claim waits.
  private wakeOne(serviceId: string): void {
    const set = this.waiters.get(serviceId);
    const first = set?.values().next().value;
    if (!set || !first) return;
    set.delete(first);
    first.wake();
  }

  private wakeAll(): void {
    for (const set of this.waiters.values()) for (const waiter of [...set]) waiter.wake();
    this.waiters.clear();
  }

  private waitList(serviceId: string): Waiter {
    let set = this.waiters.get(serviceId);
    if (!set) this.waiters.set(serviceId, (set = new Set()));
    let resolve!: () => void;
    const waiter: Waiter = {
      woken: new Promise<void>((r) => (resolve = r)),
      wasWoken: false,
      wake: () => {
        waiter.wasWoken = true;
        resolve();
      },
    };
    set.add(waiter);
    return waiter;
  }

  private leave(serviceId: string, waiter: Waiter): void {
    const set = this.waiters.get(serviceId);
    set?.delete(waiter);
    if (set && !set.size) this.waiters.delete(serviceId);
  }
}

/** Resolves when `woken` does, after `ms`, or when a signal aborts, whichever comes first; leaves no listener behind. */
function firstOf(woken: Promise<void>, ms: number, signals: AbortSignal[]): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      for (const signal of signals) signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    for (const signal of signals) signal.addEventListener('abort', done, { once: true });
    void woken.then(done);
  });
}
