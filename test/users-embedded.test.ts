// The users migration and list on the embedded database (CONTRACT §1 "the same behaviour as on PostgreSQL"): pg_trgm
// is loaded into PGlite, so the email search index exists there too, and the list's filters answer the same.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config.js';
import { type Database, migrate, openDatabase } from '../src/db.js';
import { SYSTEM_ACTOR } from '../src/domain/audit.js';
import { createClient } from '../src/domain/clients.js';
import { Secrets } from '../src/domain/secrets.js';
import { createUser, listUsers, updateUser } from '../src/domain/users.js';

let dataDir: string;
let db: Database;

beforeAll(async () => {
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'gatehouse-users-'));
  db = await openDatabase(loadConfig({ DATA_DIR: dataDir }));
  await migrate(db);
}, 120_000);

afterAll(async () => {
  await db?.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
});

test('the trigram index exists and every filter of the list answers as on PostgreSQL', async () => {
  const { manager } = db.dataSource;
  const indexes: Array<{ indexname: string }> = await manager.query(`SELECT indexname FROM pg_indexes WHERE tablename = 'users'`);
  expect(indexes.map((i) => i.indexname)).toEqual(expect.arrayContaining(['users_email_trgm_idx', 'users_order_idx', 'users_blocked_idx']));
  const client = await createClient(manager, SYSTEM_ACTOR, { name: 'Clinic', client_type: 'MSP' });
  const links = { secrets: new Secrets('embedded-pepper'), issuer: 'http://localhost:3000' };
  const a = await createUser(manager, SYSTEM_ACTOR, { email: 'Anna@Clinic.example', memberships: [{ client_id: client.id, scopes: ['client:read'] }] }, links);
  const b = await createUser(manager, SYSTEM_ACTOR, { email: 'bohdan@clinic.example' }, links);
  expect(a.password_setup_url).toMatch(/^http:\/\/localhost:3000\/password\/setup\//);
  await updateUser(manager, SYSTEM_ACTOR, b.id, { is_blocked: true });
  const ids = async (filter: Parameters<typeof listUsers>[1]) => (await listUsers(manager, filter, 1, 50)).items.map((u) => u.id);
  expect(await ids({ email: 'ANNA@' })).toEqual([a.id]);
  expect(await ids({ client_id: client.id })).toEqual([a.id]);
  expect(await ids({ is_blocked: true })).toEqual([b.id]);
  expect((await listUsers(manager, {}, 2, 1)).total).toBe(2);
});
