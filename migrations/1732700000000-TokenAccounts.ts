import type { MigrationInterface, QueryRunner } from 'typeorm';

// Every OIDC row records the account it belongs to (sessions, grants, codes, tokens), so that blocking or deleting
// a user, or removing a membership, finds what to revoke with one indexed query (CONTRACT §3, §8).
export class TokenAccounts1732700000000 implements MigrationInterface {
  name = 'TokenAccounts1732700000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query('ALTER TABLE oidc_payloads ADD COLUMN account_id text');
    await q.query(`UPDATE oidc_payloads SET account_id = payload->>'accountId' WHERE payload ? 'accountId'`);
    await q.query('CREATE INDEX oidc_payloads_account_idx ON oidc_payloads (account_id, client_id) WHERE account_id IS NOT NULL');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP INDEX oidc_payloads_account_idx');
    await q.query('ALTER TABLE oidc_payloads DROP COLUMN account_id');
  }
}
