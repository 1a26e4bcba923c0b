// Signing and cookie keys, kept in the database so every instance shares them (CONTRACT §1), and rotated by operators
// (CONTRACT §6 keys:rotate, cookie-keys:rotate). The one key of a purpose that is not retired signs; retired signing
// keys stay published for 24 h (ID tokens signed before still verify), retired cookie keys verify for 14 days.
import crypto from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { type Actor, recordAudit } from '../domain/audit.js';
import { sharedSetting } from '../domain/settings.js';
import { Secrets } from '../domain/secrets.js';

export type KeyPurpose = 'signing' | 'cookie';

export interface ProviderKeys {
  /** The current signing key first: oidc-provider signs with the first key that fits. */
  jwks: { keys: crypto.JsonWebKey[] };
  /** The current cookie key first: it signs, every one verifies (keygrip). */
  cookieKeys: string[];
  /** Changes exactly when the set of keys does. */
  fingerprint: string;
}

/** Every instance listens here: a rotation is seen at once, the poll (KEY_POLL_SECONDS) is the fallback. */
export const KEYS_CHANNEL = 'provider_keys';
const PUBLISHED_FOR = "interval '24 hours'";
const COOKIE_VERIFIES_FOR = "interval '14 days'";
const ROTATION_LOCK = 7_302_858_607;

function newSigningKey(): crypto.JsonWebKey {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  return { ...jwk, kid: crypto.randomBytes(12).toString('base64url'), alg: 'RS256', use: 'sig' };
}

function newKey(purpose: KeyPurpose): { kid: string; alg: string | null; key: unknown } {
  if (purpose === 'signing') {
    const jwk = newSigningKey();
    return { kid: jwk.kid as string, alg: 'RS256', key: jwk };
  }
  return { kid: crypto.randomBytes(12).toString('base64url'), alg: null, key: crypto.randomBytes(32).toString('base64url') };
}

async function insertKey(manager: EntityManager, purpose: KeyPurpose, onlyIfNone: boolean): Promise<void> {
  const { kid, alg, key } = newKey(purpose);
  // The partial unique index lets several instances starting at once on an empty database end with one key.
  await manager.query(
    `INSERT INTO provider_keys (kid, purpose, alg, key) VALUES ($1, $2, $3, $4)
     ${onlyIfNone ? 'ON CONFLICT (purpose) WHERE retired_at IS NULL DO NOTHING' : ''}`,
    [kid, purpose, alg, JSON.stringify(key)],
  );
}

/** Generated at first start (CONTRACT §1). */
export async function ensureProviderKeys(manager: EntityManager): Promise<void> {
  const rows: Array<{ purpose: KeyPurpose }> = await manager.query('SELECT purpose FROM provider_keys WHERE retired_at IS NULL');
  for (const purpose of ['signing', 'cookie'] as const) {
    if (!rows.some((r) => r.purpose === purpose)) await insertKey(manager, purpose, true);
  }
}

interface KeyRow {
  kid: string;
  purpose: KeyPurpose;
  alg: string | null;
  key: unknown;
  created_at: Date;
  retired_at: Date | null;
}

/** The keys in force: current ones first, then the retired ones still within their window, newest first. */
async function keysInForce(manager: EntityManager): Promise<KeyRow[]> {
  return manager.query(
    `SELECT kid, purpose, alg, key, created_at, retired_at FROM provider_keys
      WHERE retired_at IS NULL
         OR retired_at > now() - CASE WHEN purpose = 'signing' THEN ${PUBLISHED_FOR} ELSE ${COOKIE_VERIFIES_FOR} END
      ORDER BY purpose, retired_at IS NULL DESC, created_at DESC, kid`,
  );
}

export async function loadProviderKeys(manager: EntityManager): Promise<ProviderKeys> {
  const rows = await keysInForce(manager);
  const signing = rows.filter((r) => r.purpose === 'signing');
  const cookies = rows.filter((r) => r.purpose === 'cookie');
  if (!signing.length || !cookies.length) throw new Error('no signing or cookie key in provider_keys');
  return {
    jwks: { keys: signing.map((r) => r.key as crypto.JsonWebKey) },
    cookieKeys: cookies.map((r) => r.key as string),
    fingerprint: rows.map((r) => `${r.purpose}:${r.kid}:${r.retired_at ? 'r' : 'c'}`).join(','),
  };
}

/**
 * A new key of `purpose` signs from now on; the previous one is retired (still verifying for its window). Every
 * instance is told through a notification sent when this commits, and finds it by its poll anyway.
 */
export async function rotateKeys(manager: EntityManager, actor: Actor, purpose: KeyPurpose): Promise<{ kid: string }> {
  return manager.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [ROTATION_LOCK]);
    await tx.query('UPDATE provider_keys SET retired_at = now() WHERE purpose = $1 AND retired_at IS NULL', [purpose]);
    await insertKey(tx, purpose, false);
    const [row]: Array<{ kid: string }> = await tx.query(
      'SELECT kid FROM provider_keys WHERE purpose = $1 AND retired_at IS NULL', [purpose],
    );
    await recordAudit(tx, actor, `${purpose === 'signing' ? 'signing_key' : 'cookie_key'}.rotate`, { type: `${purpose}_key`, id: row.kid });
    await tx.query('SELECT pg_notify($1, $2)', [KEYS_CHANNEL, purpose]);
    return { kid: row.kid };
  });
}

const publicOf = new Map<string, crypto.JsonWebKey>();

/**
 * The JWKS as the database has it now (CONTRACT §6: a rotated key is published at once, before any instance signs
 * with it); the public halves only.
 */
export async function publishedJwks(manager: EntityManager): Promise<{ keys: crypto.JsonWebKey[] }> {
  const rows = (await keysInForce(manager)).filter((r) => r.purpose === 'signing');
  return {
    keys: rows.map((r) => {
      let jwk = publicOf.get(r.kid);
      if (!jwk) {
        const { kty, n, e, crv, x, y } = crypto.createPublicKey({ key: r.key as crypto.JsonWebKey, format: 'jwk' }).export({ format: 'jwk' });
        jwk = Object.fromEntries(Object.entries({ kty, kid: r.kid, use: 'sig', alg: r.alg ?? undefined, e, n, crv, x, y })
          .filter(([, v]) => v !== undefined)) as crypto.JsonWebKey;
        publicOf.set(r.kid, jwk);
      }
      return jwk;
    }),
  };
}

export interface KeyListing {
  kid: string;
  alg: string | null;
  created_at: string;
  state: 'signing' | 'published' | 'verifying';
  /** When a retired key stops being published (or verifying, for cookie keys). */
  drops_at: string | null;
}

/** CONTRACT §6 keys:list: the keys in force with their state. */
export async function listKeys(manager: EntityManager, purpose: KeyPurpose): Promise<KeyListing[]> {
  const rows = (await keysInForce(manager)).filter((r) => r.purpose === purpose);
  const window = purpose === 'signing' ? 24 * 3600_000 : 14 * 24 * 3600_000;
  return rows.map((r) => ({
    kid: r.kid,
    alg: r.alg,
    created_at: new Date(r.created_at).toISOString(),
    state: r.retired_at ? (purpose === 'signing' ? 'published' : 'verifying') : 'signing',
    drops_at: r.retired_at ? new Date(new Date(r.retired_at).getTime() + window).toISOString() : null,
  }));
}

/** SECRET_PEPPER, or the generated one kept in the database (`generated` tells the caller to warn). */
export async function loadPepper(manager: EntityManager, configured: string | undefined): Promise<{ pepper: string; generated: boolean }> {
  if (configured) return { pepper: configured, generated: false };
  return { pepper: await sharedSetting(manager, 'secret_pepper', () => Secrets.newPepper()), generated: true };
}
