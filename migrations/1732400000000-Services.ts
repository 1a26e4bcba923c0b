import type { MigrationInterface, QueryRunner } from 'typeorm';

// The printers of print services (CONTRACT §2): what each service reports, and what the admin assigned.
export class Services1732400000000 implements MigrationInterface {
  name = 'Services1732400000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE system_printers (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        service_id text NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
        system_name text NOT NULL,
        description text NOT NULL DEFAULT '',
        status text NOT NULL CHECK (status IN ('online','offline','error','unknown')),
        last_seen_at timestamptz NOT NULL DEFAULT now(),
        inserted_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT system_printers_service_name_key UNIQUE (service_id, system_name),
        CONSTRAINT system_printers_service_id_key UNIQUE (service_id, id)
      )`);
    await q.query('CREATE INDEX system_printers_order_idx ON system_printers (service_id, inserted_at, id)');
    // The composite foreign key makes "a printer reported by another service" impossible to assign.
    await q.query(`
      CREATE TABLE service_printers (
        id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
        service_id text NOT NULL REFERENCES clients(id) ON DELETE CASCADE,
        printer_id uuid NOT NULL,
        name text NOT NULL,
        enabled boolean NOT NULL DEFAULT true,
        inserted_at timestamptz NOT NULL DEFAULT clock_timestamp(),
        updated_at timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT service_printers_printer_key UNIQUE (printer_id),
        CONSTRAINT service_printers_printer_fkey FOREIGN KEY (service_id, printer_id)
          REFERENCES system_printers (service_id, id) ON DELETE CASCADE
      )`);
    await q.query('CREATE INDEX service_printers_order_idx ON service_printers (service_id, inserted_at, id)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE service_printers');
    await q.query('DROP TABLE system_printers');
  }
}
