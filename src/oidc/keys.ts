// Signing and cookie keys, generated at first start and kept in the database so every instance shares them.
import crypto from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { sharedSetting } from '../domain/settings.js';
import { Secrets } from '../domain/secrets.js';

export interface ProviderKeys {
  jwks: { keys: crypto.JsonWebKey[] };
  cookieKeys: string[];
}

function newSigningKey(): crypto.JsonWebKey {
  const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  return { ...jwk, kid: crypto.randomBytes(12).toString('base64url'), alg: 'RS256', use: 'sig' };
}

export async function loadProviderKeys(manager: EntityManager): Promise<ProviderKeys> {
  const signing = await sharedSetting(manager, 'jwks', () => ({ keys: [newSigningKey()] }));
  const cookieKeys = await sharedSetting(manager, 'cookie_keys', () => [crypto.randomBytes(32).toString('base64url')]);
  return { jwks: signing, cookieKeys };
}

/** SECRET_PEPPER, or the generated one kept in the database (`generated` tells the caller to warn). */
export async function loadPepper(manager: EntityManager, configured: string | undefined): Promise<{ pepper: string; generated: boolean }> {
  if (configured) return { pepper: configured, generated: false };
  return { pepper: await sharedSetting(manager, 'secret_pepper', () => Secrets.newPepper()), generated: true };
}
