// The second factor (CONTRACT §11): TOTP (RFC 6238: 6 digits, 30 s, SHA-1) through otpauth, and 10 single-use
// recovery codes. The TOTP key is kept sealed (AES-256-GCM, secrets.ts) and never logged or audited; recovery codes
// are kept only as HMACs. A code is accepted once: the step it belongs to is recorded by the same statement.
import { Secret, TOTP } from 'otpauth';
import type { EntityManager } from 'typeorm';
import { type Actor, recordAudit } from './audit.js';
import { NotFound } from './errors.js';
import { lockUser } from './revocation.js';
import type { Secrets } from './secrets.js';

const SEAL_PURPOSE = 'totp-key';
const PERIOD = 30;
export const RECOVERY_CODE_COUNT = 10;

function totpFor(base32: string, label: string): TOTP {
  return new TOTP({ issuer: 'Gatehouse', label, algorithm: 'SHA1', digits: 6, period: PERIOD, secret: Secret.fromBase32(base32) });
}

/** The 30-second step of a current code (one step of clock drift either way), or null. */
function matchingStep(base32: string, code: string, now = Date.now()): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const delta = totpFor(base32, '').validate({ token: code, timestamp: now, window: 1 });
  return delta === null ? null : Math.floor(now / 1000 / PERIOD) + delta;
}

/** A recovery code as the user types it: any case, with or without the dash and spaces. */
function normalRecoveryCode(code: string): string {
  return code.toLowerCase().replace(/[\s-]/g, '');
}

function newRecoveryCode(): string {
  // 10 characters of base32 (50 bits), shown as xxxxx-xxxxx.
  const raw = new Secret({ size: 10 }).base32.toLowerCase().slice(0, 10);
  return `${raw.slice(0, 5)}-${raw.slice(5)}`;
}

export interface SecondFactorState {
  enabled: boolean;
  enabledAt: string | null;
  recoveryCodesLeft: number;
}

export async function secondFactorState(manager: EntityManager, userId: string): Promise<SecondFactorState> {
  const rows: Array<{ enabled_at: string | null; has: boolean; codes_left: string }> = await manager.query(
    `SELECT u.mfa_enabled_at AS enabled_at, u.mfa_secret IS NOT NULL AS has,
            (SELECT count(*) FROM mfa_recovery_codes r WHERE r.user_id = u.id AND r.used_at IS NULL) AS codes_left
     FROM users u WHERE u.id = $1`, [userId],
  );
  const row = rows[0];
  return { enabled: !!row?.has, enabledAt: row?.enabled_at ?? null, recoveryCodesLeft: Number(row?.codes_left ?? 0) };
}

export async function hasSecondFactor(manager: EntityManager, userId: string): Promise<boolean> {
  const rows: Array<{ has: boolean }> = await manager.query('SELECT mfa_secret IS NOT NULL AS has FROM users WHERE id = $1', [userId]);
  return !!rows[0]?.has;
}

export interface Enrolment {
  /** The key as text (base32), for typing into an authenticator. */
  key: string;
  /** The otpauth:// URI that the QR code holds. */
  uri: string;
}

/**
 * The key being enrolled: the one already waiting for confirmation, or a new one; null when a second factor is
 * already on (replacing it takes an administrator's DELETE /api/users/{id}/mfa, not just an /account session).
 * Nothing is enabled until a current code confirms it (`confirmEnrolment`).
 */
export async function startEnrolment(manager: EntityManager, secrets: Secrets, userId: string, email: string): Promise<Enrolment | null> {
  const rows: Array<{ pending: string | null; enabled: boolean }> = await manager.query(
    'SELECT mfa_pending_secret AS pending, mfa_secret IS NOT NULL AS enabled FROM users WHERE id = $1', [userId],
  );
  if (!rows.length) throw new NotFound();
  if (rows[0].enabled) return null;
  let key = secrets.unseal(SEAL_PURPOSE, rows[0].pending);
  if (!key) {
    key = new Secret({ size: 20 }).base32;
    await manager.query('UPDATE users SET mfa_pending_secret = $2 WHERE id = $1', [userId, secrets.seal(SEAL_PURPOSE, key)]);
  }
  return { key, uri: totpFor(key, email).toString() };
}

/**
 * Turns the waiting key on when `code` is current for it, and returns the 10 new recovery codes (shown once, kept
 * as HMACs); null when the code does not match or a second factor is already on.
 */
export async function confirmEnrolment(
  manager: EntityManager, secrets: Secrets, actor: Actor, userId: string, code: string,
): Promise<string[] | null> {
  return manager.transaction(async (tx) => {
    const rows: Array<{ pending: string | null }> = await tx.query(
      'SELECT mfa_pending_secret AS pending FROM users WHERE id = $1 AND mfa_secret IS NULL FOR UPDATE', [userId],
    );
    const key = secrets.unseal(SEAL_PURPOSE, rows[0]?.pending);
    const step = key ? matchingStep(key, code.trim()) : null;
    if (!key || step === null) return null;
    await tx.query(
      `UPDATE users SET mfa_secret = mfa_pending_secret, mfa_pending_secret = NULL, mfa_enabled_at = now(), mfa_last_step = $2,
       updated_at = now() WHERE id = $1`, [userId, step],
    );
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
    await tx.query('DELETE FROM mfa_recovery_codes WHERE user_id = $1', [userId]);
    await tx.query(
      'INSERT INTO mfa_recovery_codes (user_id, code_hash) SELECT $1, unnest($2::text[])',
      [userId, codes.map((c) => secrets.hash(normalRecoveryCode(c)))],
    );
    await recordAudit(tx, actor, 'user.mfa_enable', { type: 'user', id: userId });
    return codes;
  });
}

/** Checks a TOTP code (accepted once) or a recovery code (used up); what was used, or null. */
export async function verifySecondFactor(
  manager: EntityManager, secrets: Secrets, userId: string, code: string,
): Promise<'totp' | 'recovery_code' | null> {
  const typed = code.trim();
  if (/^\d{6}$/.test(typed)) {
    const rows: Array<{ secret: string | null }> = await manager.query('SELECT mfa_secret AS secret FROM users WHERE id = $1', [userId]);
    const key = secrets.unseal(SEAL_PURPOSE, rows[0]?.secret);
    const step = key ? matchingStep(key, typed) : null;
    if (step === null) return null;
    // One statement records the step only if it is newer: of two uses of one code, one wins.
    const taken: Array<{ id: string }> = await manager.query(
      `WITH t AS (UPDATE users SET mfa_last_step = $2 WHERE id = $1 AND mfa_secret IS NOT NULL
         AND (mfa_last_step IS NULL OR mfa_last_step < $2) RETURNING id) SELECT id FROM t`, [userId, step],
    );
    return taken.length ? 'totp' : null;
  }
  const normal = normalRecoveryCode(typed);
  if (!/^[a-z2-7]{10}$/.test(normal)) return null;
  const used: Array<{ user_id: string }> = await manager.query(
    `WITH u AS (UPDATE mfa_recovery_codes SET used_at = now() WHERE user_id = $1 AND code_hash = $2 AND used_at IS NULL
       RETURNING user_id) SELECT user_id FROM u`, [userId, secrets.hash(normal)],
  );
  return used.length ? 'recovery_code' : null;
}

/** An administrator removes a user's second factor (CONTRACT §8 DELETE /api/users/{id}/mfa). */
export async function removeSecondFactor(manager: EntityManager, actor: Actor, userId: string): Promise<void> {
  await manager.transaction(async (tx) => {
    // Like every change of a user, it starts with the one lock order (revocation.ts lockUser).
    if (!(await lockUser(tx, userId))) throw new NotFound();
    const rows: Array<{ id: string }> = await tx.query(
      `WITH u AS (UPDATE users SET mfa_secret = NULL, mfa_pending_secret = NULL, mfa_enabled_at = NULL, mfa_last_step = NULL,
         updated_at = now() WHERE id = $1 RETURNING id) SELECT id FROM u`, [userId],
    );
    if (!rows.length) throw new NotFound();
    await tx.query('DELETE FROM mfa_recovery_codes WHERE user_id = $1', [userId]);
    await recordAudit(tx, actor, 'user.mfa_reset', { type: 'user', id: userId });
  });
}

/** For tests and tools: the current code of a key (what an authenticator app shows). */
export function currentCode(base32: string, now = Date.now()): string {
  return totpFor(base32, '').generate({ timestamp: now });
}

export const TOTP_PERIOD_SECONDS = PERIOD;
