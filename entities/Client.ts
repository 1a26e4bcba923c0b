import { Column, Entity, PrimaryColumn } from 'typeorm';

export const CLIENT_TYPES = ['ADMIN', 'MIS', 'MSP', 'PHARMACY', 'PRINT_SERVICE', 'INTEGRATION'] as const;
export type ClientType = (typeof CLIENT_TYPES)[number];
export const SERVICE_TYPES = ['PRINT_SERVICE', 'INTEGRATION'] as const;

@Entity({ name: 'clients' })
export class Client {
  // UUID for ADMIN/MIS/MSP/PHARMACY, the admin-chosen System ID for services (CONTRACT §2).
  @PrimaryColumn({ type: 'text' }) id: string;
  @Column({ type: 'text' }) name: string;
  @Column({ name: 'client_type', type: 'text' }) clientType: ClientType;
  @Column({ type: 'text', array: true }) permissions: string[];
  @Column({ name: 'is_blocked', type: 'boolean' }) isBlocked: boolean;
  @Column({ name: 'block_reason', type: 'text', nullable: true }) blockReason: string | null;
  @Column({ name: 'inserted_at', type: 'timestamptz' }) insertedAt: Date;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
