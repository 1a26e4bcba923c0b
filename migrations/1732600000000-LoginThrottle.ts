import type { MigrationInterface, QueryRunner } from 'typeorm';

// Counters of failed sign-ins, shared by every instance (rate-limiter-flexible's PostgreSQL layout).
export class LoginThrottle1732600000000 implements MigrationInterface {
  name = 'LoginThrottle1732600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE login_throttle (
        key varchar(255) PRIMARY KEY,
        points integer NOT NULL DEFAULT 0,
        expire bigint
      )`);
    await q.query('CREATE INDEX login_throttle_expire_idx ON login_throttle (expire)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE login_throttle');
  }
}
