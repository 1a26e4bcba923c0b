import { Column, Entity, PrimaryColumn } from 'typeorm';

// Which client a user may sign in through, and the scopes the user may grant there.
@Entity({ name: 'memberships' })
export class Membership {
  @PrimaryColumn({ name: 'user_id', type: 'uuid' }) userId: string;
  @PrimaryColumn({ name: 'client_id', type: 'text' }) clientId: string;
  @Column({ type: 'text', array: true }) scopes: string[];
  @Column({ name: 'inserted_at', type: 'timestamptz' }) insertedAt: Date;
}
