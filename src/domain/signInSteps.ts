// The steps of signing in with a password and, when the user has one, a second factor (CONTRACT §3 throttling,
// §8 sign-in audit, §11 second factor), shared by the authorization flow's login page and /account's own sign-in.
// Every attempt, a password or a code, is taken from the login throttle (loginThrottle.ts) before it is checked.
// Between the two steps the browser holds a sealed challenge (secrets.ts): who passed the password, for which
// sign-in, until when; it proves nothing without a current code.
import type { EntityManager } from 'typeorm';
import { type Actor, recordAudit } from './audit.js';
import type { LoginThrottle } from './loginThrottle.js';
import { hasSecondFactor, verifySecondFactor } from './secondFactor.js';
import type { Secrets } from './secrets.js';
import { type SignedInUser, findUser, recordLastSignIn, verifyPassword } from './users.js';

const CHALLENGE_PURPOSE = 'sign-in-challenge';
const CHALLENGE_TTL_MS = 5 * 60 * 1000;

export interface SignInContext {
  manager: EntityManager;
  secrets: Secrets;
  throttle: LoginThrottle;
  address: string;
  requestId: string | null;
  /** The client the user signs in through (audit details); null for /account. */
  clientId: string | null;
  /** What the challenge is bound to: an interaction's uid, or 'account'. */
  flow: string;
}

export type StepResult =
  | { outcome: 'throttled'; retryAfter: number }
  | { outcome: 'wrong' }
  /** The password was right; the user must now give a code, carrying `challenge` back. */
  | { outcome: 'second_factor'; challenge: string; user: SignedInUser }
  | { outcome: 'signed_in'; user: SignedInUser }
  /** The challenge expired, belongs to another sign-in, or its user can no longer sign in. */
  | { outcome: 'expired' };

function auditSignIn(c: SignInContext, email: string, action: string, userId: string | null, targetId: string) {
  const actor: Actor = { type: 'user', id: userId, requestId: c.requestId };
  return recordAudit(c.manager, actor, action, { type: 'user', id: targetId }, {
    email, client_address: c.address, ...(c.clientId ? { client_id: c.clientId } : {}),
  });
}

/** A keyed digest of the user's current password hash: what a challenge proves, and what a reset or change ends. */
async function passwordVersion(c: SignInContext, userId: string): Promise<string | undefined> {
  const rows: Array<{ hash: string | null }> = await c.manager.query('SELECT password_hash AS hash FROM users WHERE id = $1', [userId]);
  return rows[0]?.hash ? c.secrets.hash(`password-version:${rows[0].hash}`) : undefined;
}

async function takeAttempt(c: SignInContext, email: string): Promise<StepResult | null> {
  const attempt = await c.throttle.attempt(email, c.address);
  if (attempt.allowed) return null;
  if (attempt.first) await auditSignIn(c, email, 'user.locked_out', null, email.toLowerCase());
  return { outcome: 'throttled', retryAfter: attempt.retryAfter };
}

/** The password step. A right password gives back the attempt it took; with a second factor the user is not in yet. */
export async function passwordStep(c: SignInContext, email: string, password: string): Promise<StepResult> {
  const refused = await takeAttempt(c, email);
  if (refused) return refused;
  const user = await verifyPassword(c.manager, email, password);
  if (!user) {
    await auditSignIn(c, email, 'user.sign_in_failed', null, email.toLowerCase());
    return { outcome: 'wrong' };
  }
  await c.throttle.succeeded(email, c.address);
  if (await hasSecondFactor(c.manager, user.id)) {
    const p = await passwordVersion(c, user.id);
    const challenge = c.secrets.seal(CHALLENGE_PURPOSE, JSON.stringify({ u: user.id, f: c.flow, p, exp: Date.now() + CHALLENGE_TTL_MS }));
    return { outcome: 'second_factor', challenge, user };
  }
  return { outcome: 'signed_in', user };
}

/** The second-factor step: a wrong code counts toward the throttle exactly like a wrong password. */
export async function codeStep(c: SignInContext, challenge: string, code: string): Promise<StepResult> {
  const opened = c.secrets.unseal(CHALLENGE_PURPOSE, challenge);
  const facts = opened ? (JSON.parse(opened) as { u: string; f: string; p?: string; exp: number }) : null;
  if (!facts || facts.f !== c.flow || facts.exp < Date.now()) return { outcome: 'expired' };
  const user = await findUser(c.manager, facts.u);
  // The password it proved must still be the user's: a reset or change since (CONTRACT §8 "stops working at once").
  if (!user || !facts.p || facts.p !== (await passwordVersion(c, user.id))) return { outcome: 'expired' };
  const refused = await takeAttempt(c, user.email);
  if (refused) return refused;
  if (!(await verifySecondFactor(c.manager, c.secrets, user.id, code))) {
    await auditSignIn(c, user.email, 'user.sign_in_failed', null, user.id);
    return { outcome: 'wrong' };
  }
  await c.throttle.succeeded(user.email, c.address);
  return { outcome: 'signed_in', user };
}

/** Records the sign-in (or its refusal by the client's sign-in rule) once every step passed. */
export async function recordSignIn(c: SignInContext, user: SignedInUser, allowed: boolean): Promise<void> {
  await auditSignIn(c, user.email, allowed ? 'user.sign_in' : 'user.sign_in_failed', user.id, user.id);
  if (allowed) await recordLastSignIn(c.manager, user.id);
}
