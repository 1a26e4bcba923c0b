// Who may sign in through a client, in both of its forms (the page query and the storage condition), against a
// real database: they must agree on every case.
import { loadConfig } from '../config.js';
import { type Database, migrate, openDatabase } from '../db.js';
import { createDatabase } from '../../test/support/server.js';
import { maySignInCondition, signInScopes } from './signInPolicy.js';

let drop: () => Promise<void>;
let db: Database;

beforeAll(async () => {
  const created = await createDatabase();
  drop = created.drop;
  db = await openDatabase(loadConfig({ DATABASE_URL: created.url }));
  await migrate(db);
  const q = (text: string) => db.dataSource.query(text);
  await q(`INSERT INTO clients (id, name, client_type) VALUES ('00000000-0000-4000-8000-000000000001', 'Open', 'MSP'),
           ('00000000-0000-4000-8000-000000000002', 'Blocked', 'MSP')`);
  await q(`UPDATE clients SET is_blocked = true WHERE name = 'Blocked'`);
  await q(`INSERT INTO users (id, email, password_hash) VALUES ('10000000-0000-4000-8000-000000000001', 'member@x.example', 'h'),
           ('10000000-0000-4000-8000-000000000002', 'blocked@x.example', 'h'), ('10000000-0000-4000-8000-000000000003', 'outsider@x.example', 'h')`);
  await q(`UPDATE users SET is_blocked = true WHERE email = 'blocked@x.example'`);
  await q(`INSERT INTO memberships (user_id, client_id, scopes) VALUES
           ('10000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000001', '{a:read}'),
           ('10000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002', '{}'),
           ('10000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000001', '{}')`);
});

afterAll(async () => {
  await db?.close();
  await drop?.();
});

const OPEN = '00000000-0000-4000-8000-000000000001';
const BLOCKED_CLIENT = '00000000-0000-4000-8000-000000000002';
const MEMBER = '10000000-0000-4000-8000-000000000001';
const BLOCKED_USER = '10000000-0000-4000-8000-000000000002';
const OUTSIDER = '10000000-0000-4000-8000-000000000003';

test.each([
  ['an active member of an active client', MEMBER, OPEN, ['a:read']],
  ['a blocked user', BLOCKED_USER, OPEN, null],
  ['a member of a blocked client', MEMBER, BLOCKED_CLIENT, null],
  ['a user without a membership', OUTSIDER, OPEN, null],
  ['an account id that is not a UUID', 'not-a-uuid', OPEN, null],
])('%s: both forms agree', async (_what, userId, clientId, scopes) => {
  expect(await signInScopes(db.dataSource.manager, userId, clientId)).toEqual(scopes);
  const rows = await db.dataSource.query(`SELECT ${maySignInCondition('$1::text', '$2::text')} AS may`, [userId, clientId]);
  expect(rows[0].may).toBe(scopes !== null);
});
