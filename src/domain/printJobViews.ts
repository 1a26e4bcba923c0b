// What the console shows of print jobs (CONTRACT §7): each printer's queued and printing counts and its recent
// jobs, and the names behind a page of jobs. Reads only; the title is left out on purpose (it can name a patient).
import type { EntityManager } from 'typeorm';
import type { PrintJobStatus } from '../../entities/index.js';

export interface JobLine {
  id: string;
  status: PrintJobStatus;
  attempts: number;
  submitted_by: string;
  inserted_at: Date;
  updated_at: Date;
}

export interface PrinterActivity {
  queued: number;
  printing: number;
  recent: JobLine[];
}

/** Per printer of the service: live counts (one indexed pass over live jobs) and its latest `recent` jobs. */
export async function printerActivity(manager: EntityManager, serviceId: string, recent = 5): Promise<Map<string, PrinterActivity>> {
  const rows: Array<{ printer_id: string; queued: number; printing: number; recent: JobLine[] | null }> = await manager.query(
    `SELECT sp.id AS printer_id,
       (SELECT count(*) FROM print_jobs j WHERE j.printer_id = sp.id AND j.status = 'queued')::int AS queued,
       (SELECT count(*) FROM print_jobs j WHERE j.printer_id = sp.id AND j.status = 'printing')::int AS printing,
       (SELECT json_agg(r ORDER BY r.inserted_at DESC) FROM (
          SELECT id, status, attempts, submitted_by, inserted_at, updated_at FROM print_jobs j
          WHERE j.printer_id = sp.id ORDER BY inserted_at DESC, id DESC LIMIT $2) r) AS recent
     FROM service_printers sp WHERE sp.service_id = $1`,
    [serviceId, recent],
  );
  return new Map(rows.map((r) => [r.printer_id, {
    queued: r.queued, printing: r.printing,
    recent: (r.recent ?? []).map((j) => ({ ...j, inserted_at: new Date(j.inserted_at), updated_at: new Date(j.updated_at) })),
  }]));
}

export interface JobNames {
  printers: Map<string, string>;
  clients: Map<string, string>;
}

/** The friendly names of the printers, services and submitters a page of jobs mentions (deleted ones stay ids). */
export async function jobNames(manager: EntityManager, jobs: Array<{ printer_id: string; service_id: string; submitted_by: string }>): Promise<JobNames> {
  const printerIds = [...new Set(jobs.map((j) => j.printer_id))];
  const clientIds = [...new Set(jobs.flatMap((j) => [j.service_id, j.submitted_by]))];
  const [printers, clients]: [Array<{ id: string; name: string }>, Array<{ id: string; name: string }>] = await Promise.all([
    printerIds.length ? manager.query('SELECT id, name FROM service_printers WHERE id = ANY($1::uuid[])', [printerIds]) : [],
    clientIds.length ? manager.query('SELECT id, name FROM clients WHERE id = ANY($1::text[])', [clientIds]) : [],
  ]);
  return { printers: new Map(printers.map((p) => [p.id, p.name])), clients: new Map(clients.map((c) => [c.id, c.name])) };
}
