// End users: who may sign in through which client, and which scopes they may grant there (CONTRACT §2, §8).
// Every change runs in one transaction with its revocation (revocation.ts) and its audit event: the row change
// comes first, so it holds the lock that issuing a code or token share-locks (signInPolicy.ts), and nothing issued
// alongside survives.
import bcrypt from 'bcrypt';
import type { EntityManager } from 'typeorm';
import { type Actor, recordAudit } from './audit.js';
import { Conflict, Forbidden, Invalid, NotFound, isUniqueViolation } from './errors.js';
import { Conditions } from './listing.js';
import { type IssuedLink, type SetupLinks, issueSetupLink } from './passwordSetup.js';
import { assertKnownPermissions } from './permissions.js';
import { endSessions, lockUser, revokeUser } from './revocation.js';

export const BCRYPT_COST = 11;
// Compared against when the email is unknown or has no password, so a miss costs as much as a hit.
const DUMMY_HASH = bcrypt.hashSync('gatehouse-dummy-password', BCRYPT_COST);

export interface MembershipInput {
  client_id: string;
  scopes: string[];
}

export interface NewUser {
  email: string;
  /** Given by the internal API and the CLI (CONTRACT §6); without one the user gets a setup link (CONTRACT §8). */
  password?: string;
  name?: string;
  memberships?: MembershipInput[];
}

export interface UserView {
  id: string;
  email: string;
  name: string;
  is_blocked: boolean;
  block_reason: string | null;
  memberships: MembershipInput[];
  has_password: boolean;
  mfa_enabled: boolean;
  last_sign_in_at: string | null;
  inserted_at: string;
  updated_at: string;
}

export type CreatedUser = UserView & { password_setup_url?: string; password_setup_expires_at?: string };

// mfa_enabled: a confirmed second factor (CONTRACT §11, secondFactor.ts) is a stored key.
const USER_COLUMNS = `users.id, users.email, users.name, users.is_blocked, users.block_reason,
  users.password_hash IS NOT NULL AS has_password, users.mfa_secret IS NOT NULL AS mfa_enabled, users.last_sign_in_at, users.inserted_at, users.updated_at`;

/** Memberships of these users, each user's in `inserted_at`, then client order; only `onlyClient`'s when given. */
async function membershipsOf(manager: EntityManager, userIds: string[], onlyClient?: string): Promise<Map<string, MembershipInput[]>> {
  const out = new Map<string, MembershipInput[]>(userIds.map((id) => [id, []]));
  if (!userIds.length) return out;
  const rows: Array<MembershipInput & { user_id: string }> = await manager.query(
    `SELECT user_id, client_id, scopes FROM memberships WHERE user_id = ANY($1::uuid[]) ${onlyClient !== undefined ? 'AND client_id = $2' : ''}
     ORDER BY inserted_at, client_id`,
    onlyClient !== undefined ? [userIds, onlyClient] : [userIds],
  );
  for (const r of rows) out.get(r.user_id)?.push({ client_id: r.client_id, scopes: r.scopes });
  return out;
}

async function withMemberships(manager: EntityManager, users: Array<Omit<UserView, 'memberships'>>, onlyClient?: string): Promise<UserView[]> {
  const memberships = await membershipsOf(manager, users.map((u) => u.id), onlyClient);
  return users.map((u) => ({ ...u, memberships: memberships.get(u.id) ?? [] }));
}

/** Every client must exist and every scope be in the catalog (CONTRACT §8), named by where it was given. */
async function checkMemberships(manager: EntityManager, memberships: MembershipInput[]): Promise<void> {
  const clientIds = [...new Set(memberships.map((m) => m.client_id))];
  if (clientIds.length !== memberships.length) {
    throw Invalid.property('memberships', 'uniqueItems', 'one membership per client');
  }
  if (clientIds.length) {
    const found: Array<{ id: string }> = await manager.query('SELECT id FROM clients WHERE id = ANY($1::text[])', [clientIds]);
    const missing = clientIds.filter((id) => !found.some((f) => f.id === id));
    if (missing.length) {
      throw Invalid.property('memberships', 'existence', `unknown client: ${missing.join(', ')}`, { unknown: missing });
    }
  }
  await assertKnownPermissions(manager, memberships.flatMap((m) => m.scopes), 'memberships');
}

/**
 * A new user. With a password (internal API, CLI) it is stored as given; without one the user has none yet and a
 * single-use setup link is made in the same transaction (CONTRACT §8). A taken email, any case, is a Conflict.
 */
export async function createUser(manager: EntityManager, actor: Actor, input: NewUser, links?: SetupLinks): Promise<CreatedUser> {
  const passwordHash = input.password !== undefined ? await bcrypt.hash(input.password, BCRYPT_COST) : null;
  const memberships = input.memberships ?? [];
  return manager.transaction(async (tx) => {
    await checkMemberships(tx, memberships);
    let rows: Array<Omit<UserView, 'memberships'>>;
    try {
      rows = await tx.query(
        `INSERT INTO users (email, name, password_hash) VALUES ($1, $2, $3) RETURNING ${USER_COLUMNS}`,
        [input.email, input.name ?? '', passwordHash],
      );
    } catch (err) {
      if (isUniqueViolation(err)) throw new Conflict(`a user with email ${input.email} already exists`);
      throw err;
    }
    const user = rows[0];
    for (const m of memberships) {
      await tx.query('INSERT INTO memberships (user_id, client_id, scopes) VALUES ($1, $2, $3)', [user.id, m.client_id, [...new Set(m.scopes)]]);
    }
    await recordAudit(tx, actor, 'user.create', { type: 'user', id: user.id }, { email: input.email, memberships });
    const view: CreatedUser = { ...user, memberships: memberships.map((m) => ({ client_id: m.client_id, scopes: [...new Set(m.scopes)] })) };
    if (passwordHash === null && links) {
      const link = await issueSetupLink(tx, links, user.id);
      view.password_setup_url = link.url;
      view.password_setup_expires_at = link.expires_at;
    }
    return view;
  });
}

export async function findUserIdByEmail(manager: EntityManager, email: string): Promise<string | null> {
  const rows: Array<{ id: string }> = await manager.query('SELECT id FROM users WHERE lower(email) = lower($1)', [email]);
  return rows[0]?.id ?? null;
}

export interface UserFilter {
  email?: string;
  client_id?: string;
  is_blocked?: boolean;
  /** A non-ADMIN caller's own client (CONTRACT §8 "Context"): only its members, and only that membership. */
  visibleTo?: string;
}

/**
 * A page of users in `inserted_at`, then `id` order; each filter is an indexed condition (migrations/…-Users.ts).
 * The page and the total are two statements: a window count over the page query would make PostgreSQL read every
 * matching row before the LIMIT (100,000 users: 350 ms a page, bench/README.md), while the page alone stops at its
 * last row and the count is an index-only scan.
 */
export async function listUsers(manager: EntityManager, filter: UserFilter, page: number, pageSize: number): Promise<{ items: UserView[]; total: number }> {
  const where = new Conditions();
  // "Members of a client" is a join on the membership's primary key (one row per user at most), so PostgreSQL may
  // start from the client's memberships (memberships_client_order_idx) or from the users in order, whichever is less.
  const joins = [...new Set([filter.client_id, filter.visibleTo].filter((c): c is string => c !== undefined))]
    .map((clientId, i) => `JOIN memberships m${i} ON m${i}.user_id = users.id AND m${i}.client_id = $${where.values.push(clientId)}`);
  where.contains('users.email', filter.email).equals('users.is_blocked', filter.is_blocked);
  const from = `users ${joins.join(' ')} ${where.clause}`;
  const n = where.values.length;
  const items: Array<Omit<UserView, 'memberships'>> = await manager.query(
    `SELECT ${USER_COLUMNS} FROM ${from} ORDER BY users.inserted_at, users.id LIMIT $${n + 1} OFFSET $${n + 2}`,
    [...where.values, pageSize, (page - 1) * pageSize],
  );
  // Members of one client and nothing else: its memberships are the count (each one's user exists: a foreign key),
  // read from the client's index alone instead of joined to every user.
  const onlyMembers = joins.length === 1 && where.values.length === 1;
  const count = onlyMembers ? 'SELECT count(*) AS total FROM memberships WHERE client_id = $1' : `SELECT count(*) AS total FROM ${from}`;
  const total = items.length && page === 1 && items.length < pageSize ? items.length
    : Number((await manager.query(count, where.values))[0].total);
  return { items: await withMemberships(manager, items, filter.visibleTo), total };
}

/** One user; for a non-ADMIN caller (`visibleTo`) only a member of its client, with only that membership. */
export async function getUser(manager: EntityManager, id: string, visibleTo?: string): Promise<UserView> {
  const rows: Array<Omit<UserView, 'memberships'>> = await manager.query(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [id]);
  if (!rows.length) throw new NotFound();
  const [user] = await withMemberships(manager, rows, visibleTo);
  if (visibleTo !== undefined && !user.memberships.length) throw new Forbidden('forbidden');
  return user;
}

export interface UserChanges {
  name?: string;
  is_blocked?: boolean;
  block_reason?: string | null;
}

/** Renames, blocks or unblocks; blocking ends the user's sessions and revokes every grant, code and token at once. */
export async function updateUser(manager: EntityManager, actor: Actor, id: string, changes: UserChanges): Promise<UserView> {
  await manager.transaction(async (tx) => {
    if (!(await lockUser(tx, id))) throw new NotFound();
    const before: Array<{ name: string; is_blocked: boolean; block_reason: string | null }> = await tx.query(
      'SELECT name, is_blocked, block_reason FROM users WHERE id = $1 FOR UPDATE', [id],
    );
    if (!before.length) throw new NotFound();
    const was = before[0];
    const isBlocked = changes.is_blocked ?? was.is_blocked;
    const blockReason = !isBlocked ? null : changes.block_reason !== undefined ? changes.block_reason : was.block_reason;
    await tx.query('UPDATE users SET name = $2, is_blocked = $3, block_reason = $4, updated_at = now() WHERE id = $1',
      [id, changes.name ?? was.name, isBlocked, blockReason]);
    if (isBlocked && !was.is_blocked) await revokeUser(tx, id);
    const action = isBlocked && !was.is_blocked ? 'user.block' : !isBlocked && was.is_blocked ? 'user.unblock' : 'user.update';
    await recordAudit(tx, actor, action, { type: 'user', id }, { ...changes });
  });
  return getUser(manager, id);
}

/** Deletes a user (memberships and setup links go with the row) and revokes everything of the user at once. */
export async function deleteUser(manager: EntityManager, actor: Actor, id: string): Promise<void> {
  await manager.transaction(async (tx) => {
    if (!(await lockUser(tx, id))) throw new NotFound();
    const rows: Array<{ email: string }> = await tx.query('WITH gone AS (DELETE FROM users WHERE id = $1 RETURNING email) SELECT email FROM gone', [id]);
    if (!rows.length) throw new NotFound();
    await revokeUser(tx, id);
    await recordAudit(tx, actor, 'user.delete', { type: 'user', id }, { email: rows[0].email });
  });
}

/**
 * The password stops working at once, the user's sessions end, and a new setup link replaces any earlier one
 * (CONTRACT §6, §8).
 */
export async function resetPassword(manager: EntityManager, links: SetupLinks, actor: Actor, userId: string): Promise<IssuedLink> {
  return manager.transaction(async (tx) => {
    if (!(await lockUser(tx, userId))) throw new NotFound();
    const rows: unknown[] = await tx.query(
      'WITH reset AS (UPDATE users SET password_hash = NULL, updated_at = now() WHERE id = $1 RETURNING 1) SELECT * FROM reset', [userId],
    );
    if (!rows.length) throw new NotFound();
    await endSessions(tx, userId);
    const link = await issueSetupLink(tx, links, userId);
    await recordAudit(tx, actor, 'user.reset_password', { type: 'user', id: userId }, { expires_at: link.expires_at });
    return link;
  });
}

/** Clears the login throttling of the user's email from every address (CONTRACT §6 users:unlock, §8). */
export async function unlockUser(manager: EntityManager, actor: Actor, userId: string): Promise<{ email: string; cleared: number }> {
  return manager.transaction(async (tx) => {
    const rows: Array<{ email: string }> = await tx.query('SELECT email FROM users WHERE id = $1', [userId]);
    if (!rows.length) throw new NotFound();
    const email = rows[0].email;
    // The account counters are keyed `acct:<email, trimmed and lower case>|<address>` (loginThrottle.ts).
    const prefix = `acct:${email.trim().toLowerCase().slice(0, 200)}|`.replace(/[\\%_]/g, (c) => `\\${c}`);
    const cleared: unknown[] = await tx.query(
      'WITH gone AS (DELETE FROM login_throttle WHERE key LIKE $1 RETURNING 1) SELECT * FROM gone', [`${prefix}%`],
    );
    await recordAudit(tx, actor, 'user.unlock', { type: 'user', id: userId }, { email, counters_cleared: cleared.length });
    return { email, cleared: cleared.length };
  });
}

/** Every session of the user ends (the console's "sign out everywhere"); grants and tokens stay. */
export async function signOutEverywhere(manager: EntityManager, actor: Actor, userId: string): Promise<void> {
  await manager.transaction(async (tx) => {
    if (!(await lockUser(tx, userId))) throw new NotFound();
    await endSessions(tx, userId);
    await recordAudit(tx, actor, 'user.sign_out_everywhere', { type: 'user', id: userId });
  });
}

export interface SignedInUser {
  id: string;
  email: string;
  name: string;
}

/** The user with this email and password, or null; blocked users and users without a password cannot sign in. */
export async function verifyPassword(manager: EntityManager, email: string, password: string): Promise<SignedInUser | null> {
  const rows: Array<SignedInUser & { password_hash: string | null; is_blocked: boolean }> = await manager.query(
    'SELECT id, email, name, password_hash, is_blocked FROM users WHERE lower(email) = lower($1)', [email],
  );
  const user = rows[0];
  const ok = await bcrypt.compare(password, user?.password_hash ?? DUMMY_HASH);
  if (!user || !user.password_hash || !ok || user.is_blocked) return null;
  return { id: user.id, email: user.email, name: user.name };
}

/** Remembers a successful sign-in (`last_sign_in_at`, CONTRACT §8). */
export async function recordLastSignIn(manager: EntityManager, userId: string): Promise<void> {
  await manager.query('UPDATE users SET last_sign_in_at = now() WHERE id = $1', [userId]);
}

export async function findUser(manager: EntityManager, id: string): Promise<SignedInUser | null> {
  const rows: SignedInUser[] = await manager.query(
    'SELECT id, email, name FROM users WHERE id = $1 AND NOT is_blocked', [id],
  );
  return rows[0] ?? null;
}
