// What a console page says once after a form post (CONTRACT §7): the 303 that answers the post carries it in a
// short-lived cookie, encrypted and authenticated under a key derived from the cookie keys, and the page the browser
// lands on shows it and clears it. A reload shows nothing again, and a secret or setup link shown this way is never
// written to the database or put in a URL.
import crypto from 'node:crypto';
import Cookies from 'cookies';
import type { Context } from 'koa';

/** A value shown once: a client secret (with its client id) or a password setup link. */
export type Reveal =
  | { kind: 'secret'; heading: string; intro?: string; clientId: string; secret: string }
  | { kind: 'link'; heading: string; intro?: string; label: string; url: string };

export interface Flash {
  /** What the change did, in a sentence. */
  notice?: string;
  /** What failed, for a post whose page cannot show it in place. */
  error?: string;
  reveal?: Reveal;
}

const COOKIE = 'gatehouse_flash';
const MAX_AGE_MS = 10 * 60 * 1000;

function keyOf(cookieKey: string): Buffer {
  return Buffer.from(crypto.hkdfSync('sha256', cookieKey, '', 'gatehouse console flash', 32));
}

export class FlashCookie {
  readonly #cookieKeys: readonly string[];
  readonly #derived = new Map<string, Buffer>();
  readonly #secure: boolean;

  /** The first key encrypts; every key decrypts (cookie keys rotate, CONTRACT §6). */
  constructor(cookieKeys: readonly string[], secure: boolean) {
    this.#cookieKeys = cookieKeys; // a live list: a rotated key is used from then on (src/oidc/providerHolder.ts)
    this.#secure = secure;
  }

  get #keys(): Buffer[] {
    return this.#cookieKeys.map((k) => {
      let key = this.#derived.get(k);
      if (!key) this.#derived.set(k, (key = keyOf(k)));
      return key;
    });
  }

  #jar(ctx: Context): Cookies {
    return new Cookies(ctx.req, ctx.res, { secure: this.#secure });
  }

  set(ctx: Context, flash: Flash): void {
    const iv = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.#keys[0], iv);
    const body = Buffer.concat([cipher.update(JSON.stringify(flash), 'utf8'), cipher.final()]);
    const value = Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
    this.#jar(ctx).set(COOKIE, value, { httpOnly: true, sameSite: 'lax', path: '/console', secure: this.#secure, maxAge: MAX_AGE_MS, overwrite: true });
  }

  /** The flash this browser carries, once: it is cleared in the same response. */
  take(ctx: Context): Flash | undefined {
    const jar = this.#jar(ctx);
    const value = jar.get(COOKIE);
    if (!value) return undefined;
    jar.set(COOKIE, null, { httpOnly: true, sameSite: 'lax', path: '/console', secure: this.#secure, overwrite: true });
    const raw = Buffer.from(value, 'base64url');
    if (raw.length < 29) return undefined;
    for (const key of this.#keys) {
      try {
        const decipher = crypto.createDecipheriv('aes-256-gcm', key, raw.subarray(0, 12));
        decipher.setAuthTag(raw.subarray(12, 28));
        return JSON.parse(Buffer.concat([decipher.update(raw.subarray(28)), decipher.final()]).toString('utf8')) as Flash;
      } catch {
        // another key, or not ours
      }
    }
    return undefined;
  }
}
