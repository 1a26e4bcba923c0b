// Values made once and shared by every instance on the database (CONTRACT §1: keys, pepper).
import type { EntityManager } from 'typeorm';

/**
 * The stored value of `key`, creating it with `make()` when absent. Instances starting at once race on
 * the insert; ON CONFLICT DO NOTHING plus a re-read means every one of them ends up with the winner's value.
 */
export async function sharedSetting<T>(manager: EntityManager, key: string, make: () => T): Promise<T> {
  await manager.query(
    'INSERT INTO settings (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING',
    [key, JSON.stringify(make())],
  );
  const rows: Array<{ value: T }> = await manager.query('SELECT value FROM settings WHERE key = $1', [key]);
  return rows[0].value;
}
