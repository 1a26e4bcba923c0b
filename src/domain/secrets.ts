// The only code that makes, hashes or compares a client secret (CONTRACT §2 "Secret").
import crypto from 'node:crypto';

export interface NewSecret {
  /** Shown once to whoever asked for it, then forgotten. */
  secret: string;
  /** What the database keeps: HMAC-SHA256 under SECRET_PEPPER, base64url. */
  hash: string;
}

export class Secrets {
  readonly #pepper: Buffer;

  constructor(pepper: string) {
    this.#pepper = Buffer.from(pepper, 'utf8');
  }

  generate(): NewSecret {
    const secret = crypto.randomBytes(32).toString('base64url');
    return { secret, hash: this.hash(secret) };
  }

  hash(secret: string): string {
    return crypto.createHmac('sha256', this.#pepper).update(secret, 'utf8').digest('base64url');
  }

  /** Constant-time comparison of a presented secret with a stored hash. */
  matches(secret: unknown, hash: unknown): boolean {
    if (typeof secret !== 'string') return false;
    return this.hashMatches(this.hash(secret), hash);
  }

  /** Constant-time comparison of a presented secret's hash, computed by `hash()`, with a stored hash. */
  hashMatches(actualHash: string, hash: unknown): boolean {
    if (typeof hash !== 'string') return false;
    const actual = Buffer.from(actualHash);
    const expected = Buffer.from(hash);
    return actual.length === expected.length && crypto.timingSafeEqual(actual, expected);
  }

  /**
   * A secret derived from the pepper, the same on every instance and stored nowhere: how Gatehouse's own
   * first-party console authenticates to its token endpoint without a plaintext secret in the database.
   */
  derived(label: string): NewSecret {
    const secret = crypto.createHmac('sha256', this.#pepper).update(`gatehouse-derived:${label}`, 'utf8').digest('base64url');
    return { secret, hash: this.hash(secret) };
  }

  /**
   * Encrypts a value kept at rest (a TOTP key, a sign-in step in flight) with AES-256-GCM under a key derived from the
   * pepper for `purpose` (HKDF-SHA256), so a database dump alone does not reveal it. `v1.<iv>.<tag>.<ciphertext>`.
   */
  seal(purpose: string, plaintext: string): string {
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.#sealingKey(purpose), iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), body.toString('base64url')].join('.');
  }

  /** The plaintext of `seal(purpose, …)`, or null when the value was not sealed by this pepper for this purpose. */
  unseal(purpose: string, sealed: unknown): string | null {
    if (typeof sealed !== 'string') return null;
    const [version, iv, tag, body] = sealed.split('.');
    if (version !== 'v1' || !iv || !tag || body === undefined) return null;
    try {
      const decipher = crypto.createDecipheriv('aes-256-gcm', this.#sealingKey(purpose), Buffer.from(iv, 'base64url'));
      decipher.setAuthTag(Buffer.from(tag, 'base64url'));
      return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      return null;
    }
  }

  #sealingKey(purpose: string): Buffer {
    return Buffer.from(crypto.hkdfSync('sha256', this.#pepper, Buffer.alloc(0), `gatehouse-seal:${purpose}`, 32));
  }

  static newPepper(): string {
    return crypto.randomBytes(32).toString('base64url');
  }
}
