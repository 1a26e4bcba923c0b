import { Column, Entity, PrimaryColumn } from 'typeorm';

// One table for every oidc-provider model but Client (sessions, interactions, codes, grants, tokens).
@Entity({ name: 'oidc_payloads' })
export class OidcPayload {
  @PrimaryColumn({ type: 'text' }) model: string;
  @PrimaryColumn({ type: 'text' }) id: string;
  @Column({ type: 'jsonb' }) payload: Record<string, unknown>;
  @Column({ name: 'grant_id', type: 'text', nullable: true }) grantId: string | null;
  @Column({ type: 'text', nullable: true }) uid: string | null;
  @Column({ name: 'user_code', type: 'text', nullable: true }) userCode: string | null;
  @Column({ name: 'client_id', type: 'text', nullable: true }) clientId: string | null;
  @Column({ name: 'connection_id', type: 'uuid', nullable: true }) connectionId: string | null;
  @Column({ name: 'consumer_id', type: 'text', nullable: true }) consumerId: string | null;
  @Column({ name: 'account_id', type: 'text', nullable: true }) accountId: string | null;
  @Column({ name: 'expires_at', type: 'timestamptz', nullable: true }) expiresAt: Date | null;
  @Column({ name: 'consumed_at', type: 'timestamptz', nullable: true }) consumedAt: Date | null;
}
