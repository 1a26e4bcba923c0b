import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A system printer assigned to its print service, with a friendly name and availability (CONTRACT §2). */
@Entity({ name: 'service_printers' })
export class ServicePrinter {
  @PrimaryColumn({ type: 'uuid' }) id: string;
  @Column({ name: 'service_id', type: 'text' }) serviceId: string;
  @Column({ name: 'printer_id', type: 'uuid' }) printerId: string;
  @Column({ type: 'text' }) name: string;
  @Column({ type: 'boolean' }) enabled: boolean;
  @Column({ name: 'inserted_at', type: 'timestamptz' }) insertedAt: Date;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
