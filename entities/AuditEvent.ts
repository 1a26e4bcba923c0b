import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'audit_events' })
export class AuditEvent {
  @PrimaryColumn({ type: 'uuid' }) id: string;
  @Column({ name: 'actor_type', type: 'text' }) actorType: 'user' | 'client';
  @Column({ name: 'actor_id', type: 'text', nullable: true }) actorId: string | null;
  @Column({ type: 'text' }) action: string;
  @Column({ name: 'target_type', type: 'text' }) targetType: string;
  @Column({ name: 'target_id', type: 'text' }) targetId: string;
  @Column({ name: 'request_id', type: 'text', nullable: true }) requestId: string | null;
  @Column({ type: 'jsonb' }) details: Record<string, unknown>;
  @Column({ name: 'inserted_at', type: 'timestamptz' }) insertedAt: Date;
}
