// End users: who may sign in through which client, and which scopes they may grant there (CONTRACT §2).
import bcrypt from 'bcrypt';
import type { EntityManager } from 'typeorm';
import { type Actor, recordAudit } from './audit.js';
import { Conflict, Invalid, isUniqueViolation } from './errors.js';

const BCRYPT_COST = 11;
// Compared against when the email is unknown, so a miss costs as much as a hit.
const DUMMY_HASH = bcrypt.hashSync('gatehouse-dummy-password', BCRYPT_COST);

export interface MembershipInput {
  client_id: string;
  scopes: string[];
}

export interface NewUser {
  email: string;
  password: string;
  name?: string;
  memberships: MembershipInput[];
}

export interface UserView {
  id: string;
  email: string;
  name: string;
  is_blocked: boolean;
  memberships: MembershipInput[];
  inserted_at: string;
  updated_at: string;
}

export async function createUser(manager: EntityManager, actor: Actor, input: NewUser): Promise<UserView> {
  const passwordHash = await bcrypt.hash(input.password, BCRYPT_COST);
  return manager.transaction(async (tx) => {
    const clientIds = [...new Set(input.memberships.map((m) => m.client_id))];
    if (clientIds.length !== input.memberships.length) {
      throw Invalid.property('memberships', 'uniqueItems', 'one membership per client');
    }
    if (clientIds.length) {
      const found: Array<{ id: string }> = await tx.query('SELECT id FROM clients WHERE id = ANY($1::text[])', [clientIds]);
      const missing = clientIds.filter((id) => !found.some((f) => f.id === id));
      if (missing.length) {
        throw Invalid.property('memberships', 'existence', `unknown client: ${missing.join(', ')}`, { unknown: missing });
      }
    }
    let rows: Array<Omit<UserView, 'memberships'>>;
    try {
      rows = await tx.query(
        `INSERT INTO users (email, name, password_hash) VALUES ($1, $2, $3)
         RETURNING id, email, name, is_blocked, inserted_at, updated_at`,
        [input.email, input.name ?? '', passwordHash],
      );
    } catch (err) {
      if (isUniqueViolation(err)) throw new Conflict(`a user with email ${input.email} already exists`);
      throw err;
    }
    const user = rows[0];
    for (const m of input.memberships) {
      await tx.query('INSERT INTO memberships (user_id, client_id, scopes) VALUES ($1, $2, $3)', [user.id, m.client_id, [...new Set(m.scopes)]]);
    }
    await recordAudit(tx, actor, 'user.create', { type: 'user', id: user.id }, { email: input.email, memberships: input.memberships });
    return { ...user, memberships: input.memberships };
  });
}

export async function findUserIdByEmail(manager: EntityManager, email: string): Promise<string | null> {
  const rows: Array<{ id: string }> = await manager.query('SELECT id FROM users WHERE lower(email) = lower($1)', [email]);
  return rows[0]?.id ?? null;
}

/** Creates or replaces the user's membership of a client (the scopes the user may grant there). */
export async function putMembership(manager: EntityManager, actor: Actor, userId: string, clientId: string, scopes: string[]): Promise<void> {
  await manager.query(
    `INSERT INTO memberships (user_id, client_id, scopes) VALUES ($1, $2, $3)
     ON CONFLICT (user_id, client_id) DO UPDATE SET scopes = EXCLUDED.scopes`,
    [userId, clientId, [...new Set(scopes)]],
  );
  await recordAudit(manager, actor, 'membership.put', { type: 'user', id: userId }, { client_id: clientId, scopes });
}

export interface SignedInUser {
  id: string;
  email: string;
  name: string;
}

/** The user with this email and password, or null; blocked users cannot sign in. */
export async function verifyPassword(manager: EntityManager, email: string, password: string): Promise<SignedInUser | null> {
  const rows: Array<SignedInUser & { password_hash: string; is_blocked: boolean }> = await manager.query(
    'SELECT id, email, name, password_hash, is_blocked FROM users WHERE lower(email) = lower($1)', [email],
  );
  const user = rows[0];
  const ok = await bcrypt.compare(password, user?.password_hash ?? DUMMY_HASH);
  if (!user || !ok || user.is_blocked) return null;
  return { id: user.id, email: user.email, name: user.name };
}

export async function findUser(manager: EntityManager, id: string): Promise<SignedInUser | null> {
  const rows: SignedInUser[] = await manager.query(
    'SELECT id, email, name FROM users WHERE id = $1 AND NOT is_blocked', [id],
  );
  return rows[0] ?? null;
}
