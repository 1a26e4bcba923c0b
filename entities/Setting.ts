import { Column, Entity, PrimaryColumn } from 'typeorm';

// Values generated once and shared by every instance: signing keys, cookie keys, the secret pepper.
@Entity({ name: 'settings' })
export class Setting {
  @PrimaryColumn({ type: 'text' }) key: string;
  @Column({ type: 'jsonb' }) value: unknown;
  @Column({ name: 'inserted_at', type: 'timestamptz' }) insertedAt: Date;
}
