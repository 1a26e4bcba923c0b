import type { MigrationInterface, QueryRunner } from 'typeorm';

// Print jobs (CONTRACT §9) and the built-in permission print:submit (CONTRACT §5).
export class PrintJobs1733000000000 implements MigrationInterface {
  name = 'PrintJobs1733000000000';

  async up(q: QueryRunner): Promise<void> {
    // No foreign keys to printers or clients: "job records stay" (§9) after the printer or service is deleted.
    await q.query(`
      CREATE TABLE print_jobs (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        printer_id uuid NOT NULL,
        service_id text NOT NULL,
        title text NOT NULL,
        content_type text NOT NULL CHECK (content_type IN ('application/pdf','text/plain','image/png','image/jpeg')),
        document bytea,
        size integer NOT NULL CHECK (size >= 0),
        copies smallint NOT NULL CHECK (copies BETWEEN 1 AND 99),
        status text NOT NULL DEFAULT 'queued' CHECK (status IN ('queued','printing','printed','failed','canceled')),
        error text,
        attempts integer NOT NULL DEFAULT 0,
        submitted_by text NOT NULL,
        lease_expires_at timestamptz,
        inserted_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        -- The document may hold health data: it cannot outlive the job (§9), whatever code ends the job.
        CONSTRAINT print_jobs_document_only_while_live CHECK (status IN ('queued','printing') OR document IS NULL),
        CONSTRAINT print_jobs_lease_only_while_printing CHECK ((status = 'printing') = (lease_expires_at IS NOT NULL))
      )`);
    // Documents are PDFs and images, compressed already: store them out of line without trying to compress.
    await q.query('ALTER TABLE print_jobs ALTER COLUMN document SET STORAGE EXTERNAL');
    // Lists (CONTRACT §4 order) for an admin, a submitter, and the service and printer filters.
    await q.query('CREATE INDEX print_jobs_order_idx ON print_jobs (inserted_at, id)');
    await q.query('CREATE INDEX print_jobs_submitter_idx ON print_jobs (submitted_by, inserted_at, id)');
    await q.query('CREATE INDEX print_jobs_service_idx ON print_jobs (service_id, inserted_at, id)');
    await q.query('CREATE INDEX print_jobs_printer_idx ON print_jobs (printer_id, inserted_at, id)');
    await q.query('CREATE INDEX print_jobs_status_idx ON print_jobs (status, inserted_at, id)');
    // Claims take a service's queued jobs oldest first; the sweeper finds expired leases; disabling a printer
    // finds its live jobs. Partial indexes stay as small as the queue, however many jobs are done.
    await q.query(`CREATE INDEX print_jobs_queue_idx ON print_jobs (service_id, inserted_at, id) WHERE status = 'queued'`);
    await q.query(`CREATE INDEX print_jobs_lease_idx ON print_jobs (lease_expires_at) WHERE status = 'printing'`);
    await q.query(`CREATE INDEX print_jobs_printer_live_idx ON print_jobs (printer_id) WHERE status IN ('queued','printing')`);
    await q.query(`CREATE INDEX print_jobs_service_live_idx ON print_jobs (service_id) WHERE status IN ('queued','printing')`);
    // GET /api/printers: the enabled printers of every service, in the contract's order.
    await q.query('CREATE INDEX service_printers_enabled_idx ON service_printers (inserted_at, id) WHERE enabled');
    // A new built-in; ADMIN clients do not get it (CONTRACT §5: every built-in but printer:report and print:submit).
    // An admin may have added the same name to the catalog already: it becomes the built-in.
    await q.query(
      `INSERT INTO permissions (name, description, is_builtin) VALUES ('print:submit', 'Submit print jobs to available printers', true)
       ON CONFLICT (name) DO UPDATE SET is_builtin = true, description = EXCLUDED.description`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX service_printers_enabled_idx');
    await q.query('DROP TABLE print_jobs');
    await q.query(`DELETE FROM permissions WHERE name = 'print:submit'`);
  }
}
