import { Column, Entity, PrimaryColumn } from 'typeorm';

@Entity({ name: 'permissions' })
export class Permission {
  @PrimaryColumn({ type: 'text' }) name: string;
  @Column({ type: 'text' }) description: string;
  @Column({ name: 'is_builtin', type: 'boolean' }) isBuiltin: boolean;
  @Column({ name: 'inserted_at', type: 'timestamptz' }) insertedAt: Date;
}
