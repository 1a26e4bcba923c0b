import { Column, Entity, PrimaryColumn } from 'typeorm';

export const PRINT_JOB_STATUSES = ['queued', 'printing', 'printed', 'failed', 'canceled'] as const;
export type PrintJobStatus = (typeof PRINT_JOB_STATUSES)[number];
export const PRINT_CONTENT_TYPES = ['application/pdf', 'text/plain', 'image/png', 'image/jpeg'] as const;
export type PrintContentType = (typeof PRINT_CONTENT_TYPES)[number];

/** A document a print service is asked to print on one of its printers (CONTRACT §9). */
@Entity({ name: 'print_jobs' })
export class PrintJob {
  @PrimaryColumn({ type: 'uuid' }) id: string;
  /** The service printer (GET /api/printers `id`); no foreign key: the record outlives the printer. */
  @Column({ name: 'printer_id', type: 'uuid' }) printerId: string;
  @Column({ name: 'service_id', type: 'text' }) serviceId: string;
  @Column({ type: 'text' }) title: string;
  @Column({ name: 'content_type', type: 'text' }) contentType: PrintContentType;
  /** Health data: present only while the job is queued or printing (a CHECK constraint holds it to that). */
  @Column({ type: 'bytea', nullable: true }) document: Buffer | null;
  @Column({ type: 'integer' }) size: number;
  @Column({ type: 'smallint' }) copies: number;
  @Column({ type: 'text' }) status: PrintJobStatus;
  @Column({ type: 'text', nullable: true }) error: string | null;
  @Column({ type: 'integer' }) attempts: number;
  @Column({ name: 'submitted_by', type: 'text' }) submittedBy: string;
  @Column({ name: 'lease_expires_at', type: 'timestamptz', nullable: true }) leaseExpiresAt: Date | null;
  @Column({ name: 'inserted_at', type: 'timestamptz' }) insertedAt: Date;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
