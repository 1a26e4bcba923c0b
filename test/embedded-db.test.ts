// CONTRACT §1 "embedded database": the same behaviour as PostgreSQL after any idle time. pglite-socket serves
// every connection from one backend session; these tests pin what src/db.ts does about it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config.js';
import { type Database, openDatabase } from '../src/db.js';

describe('the embedded database', () => {
  let dataDir: string;
  let db: Database;

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-pglite-'));
    db = await openDatabase(loadConfig({ DATA_DIR: dataDir }));
  }, 120_000);

  afterAll(async () => {
    await db?.close();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  test('a new connection starts with a fresh session: named statements of a closed one are gone', async () => {
    const named = { name: 'gh_test_named', text: 'SELECT $1::int AS n', values: [1] };
    expect((await db.pool.query(named)).rows).toEqual([{ n: 1 }]);
    // Close the pooled connection, as pg does to a client that idled or failed; the next query gets a new one.
    const client = await db.pool.connect();
    client.release(true);
    expect((await db.pool.query({ ...named, values: [2] })).rows).toEqual([{ n: 2 }]);
    // Settings of the old session are gone too.
    await db.pool.query("SET application_name = 'left-behind'");
    (await db.pool.connect()).release(true);
    const { rows } = await db.pool.query('SHOW application_name');
    expect(rows[0].application_name).not.toBe('left-behind');
  });

  test('the pooled connection is never closed for idling', () => {
    expect((db.pool as unknown as { options: { idleTimeoutMillis: number } }).options.idleTimeoutMillis).toBe(0);
  });
});
