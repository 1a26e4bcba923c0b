import { Column, Entity, PrimaryColumn } from 'typeorm';

export const PRINTER_STATUSES = ['online', 'offline', 'error', 'unknown'] as const;
export type PrinterStatus = (typeof PRINTER_STATUSES)[number];

/** A printer that a print service reported (CONTRACT §2 "System printer"). */
@Entity({ name: 'system_printers' })
export class SystemPrinter {
  @PrimaryColumn({ type: 'uuid' }) id: string;
  @Column({ name: 'service_id', type: 'text' }) serviceId: string;
  @Column({ name: 'system_name', type: 'text' }) systemName: string;
  @Column({ type: 'text' }) description: string;
  @Column({ type: 'text' }) status: PrinterStatus;
  @Column({ name: 'last_seen_at', type: 'timestamptz' }) lastSeenAt: Date;
  @Column({ name: 'inserted_at', type: 'timestamptz' }) insertedAt: Date;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
