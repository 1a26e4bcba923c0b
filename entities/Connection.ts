import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'connections' })
export class Connection {
  @PrimaryColumn({ type: 'uuid' }) id: string;
  @Column({ name: 'client_id', type: 'text' }) clientId: string;
  @Column({ name: 'consumer_id', type: 'text' }) consumerId: string;
  @Column({ name: 'redirect_uri', type: 'text', nullable: true }) redirectUri: string | null;
  // HMAC-SHA256 of the secret under SECRET_PEPPER, base64url; never the secret itself.
  @Column({ name: 'secret_hash', type: 'text', select: false }) secretHash: string;
  @Column({ name: 'inserted_at', type: 'timestamptz' }) insertedAt: Date;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt: Date;
}
