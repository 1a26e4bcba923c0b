import type { MigrationInterface, QueryRunner } from 'typeorm';

// Signing and cookie keys as rows that rotate (CONTRACT §6 keys:rotate, cookie-keys:rotate): the newest key of a
// purpose that is not retired signs; a retired one still verifies (published 24 h, cookies 14 days), then goes.
// The keys generated at first start so far (settings 'jwks' and 'cookie_keys') become the first rows.
export class ProviderKeys1733200000000 implements MigrationInterface {
  name = 'ProviderKeys1733200000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE provider_keys (
        kid text PRIMARY KEY,
        purpose text NOT NULL CHECK (purpose IN ('signing', 'cookie')),
        alg text,
        key jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        retired_at timestamptz
      )`);
    await q.query('CREATE INDEX provider_keys_purpose_idx ON provider_keys (purpose, created_at)');
    await q.query('CREATE INDEX provider_keys_retired_idx ON provider_keys (retired_at) WHERE retired_at IS NOT NULL');
    // At most one key of each purpose signs.
    await q.query('CREATE UNIQUE INDEX provider_keys_current_idx ON provider_keys (purpose) WHERE retired_at IS NULL');
    await q.query(`
      INSERT INTO provider_keys (kid, purpose, alg, key)
      SELECT k->>'kid', 'signing', coalesce(k->>'alg', 'RS256'), k
        FROM settings, jsonb_array_elements(value->'keys') WITH ORDINALITY AS e(k, n)
       WHERE settings.key = 'jwks' AND n = 1`);
    await q.query(`
      INSERT INTO provider_keys (kid, purpose, key)
      SELECT md5(c #>> '{}'), 'cookie', c
        FROM settings, jsonb_array_elements(value) WITH ORDINALITY AS e(c, n)
       WHERE settings.key = 'cookie_keys' AND n = 1`);
    await q.query(`DELETE FROM settings WHERE key IN ('jwks', 'cookie_keys')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`
      INSERT INTO settings (key, value)
      SELECT 'jwks', jsonb_build_object('keys', jsonb_agg(key ORDER BY created_at DESC)) FROM provider_keys WHERE purpose = 'signing'
      HAVING count(*) > 0`);
    await q.query(`
      INSERT INTO settings (key, value)
      SELECT 'cookie_keys', jsonb_agg(key ORDER BY created_at DESC) FROM provider_keys WHERE purpose = 'cookie'
      HAVING count(*) > 0`);
    await q.query('DROP TABLE provider_keys');
  }
}
