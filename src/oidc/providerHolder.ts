// oidc-provider takes its signing and cookie keys at construction only. When an operator rotates a key (CONTRACT §6),
// every instance builds a new Provider with the new key set and sends requests to it from then on; storage is the
// database, so codes, tokens, sessions and interactions begun under the previous Provider carry on under the new one.
import type http from 'node:http';
import type Provider from 'oidc-provider';
import type { Logger } from '../log.js';
import type { Notifications } from '../notifications.js';
import { KEYS_CHANNEL, type ProviderKeys } from './keys.js';

export class ProviderHolder {
  #provider: Provider;
  #callback: http.RequestListener;
  #fingerprint: string;
  #refreshing: Promise<boolean> | undefined;
  /** The cookie keys in force, current first; the same array is updated in place, so its readers see rotations. */
  readonly cookieKeys: string[];

  private constructor(
    private readonly build: (keys: ProviderKeys) => Provider,
    private readonly load: () => Promise<ProviderKeys>,
    private readonly log: Logger,
    keys: ProviderKeys,
  ) {
    this.#provider = build(keys);
    this.#callback = this.#provider.callback() as http.RequestListener;
    this.#fingerprint = keys.fingerprint;
    this.cookieKeys = [...keys.cookieKeys];
  }

  static async create(build: (keys: ProviderKeys) => Provider, load: () => Promise<ProviderKeys>, log: Logger): Promise<ProviderHolder> {
    return new ProviderHolder(build, load, log, await load());
  }

  current(): Provider {
    return this.#provider;
  }

  /** The request listener of whichever Provider is current when a request arrives. */
  callback(): http.RequestListener {
    return (req, res) => this.#callback(req, res);
  }

  /**
   * A Provider that is always the current one, for the modules that hold on to "the provider" (login and consent
   * pages, the console): methods are bound to the current Provider at each use.
   */
  view(): Provider {
    return new Proxy({} as Provider, {
      get: (_target, prop) => {
        const provider = this.#provider;
        const value = Reflect.get(provider, prop, provider);
        return typeof value === 'function' && isMethod(provider, prop) ? value.bind(provider) : value;
      },
    });
  }

  /** Looks at the keys in the database; builds a new Provider when they changed. True when it did. */
  refresh(): Promise<boolean> {
    // One look at a time; a look asked for while one runs waits for it and then looks again.
    const previous = this.#refreshing ?? Promise.resolve(false);
    const next = previous.catch(() => false).then(async () => {
      const keys = await this.load();
      if (keys.fingerprint === this.#fingerprint) return false;
      const provider = this.build(keys);
      this.#provider = provider;
      this.#callback = provider.callback() as http.RequestListener;
      this.#fingerprint = keys.fingerprint;
      this.cookieKeys.splice(0, this.cookieKeys.length, ...keys.cookieKeys);
      this.log.info({ signing_kid: keys.jwks.keys[0]?.kid, keys: keys.jwks.keys.length, cookie_keys: keys.cookieKeys.length }, 'provider keys changed: new keys in use');
      return true;
    });
    this.#refreshing = next;
    return next;
  }

  /** A rotation is seen at once through the notification, and within `pollSeconds` by the poll when one is lost. */
  watch(notifications: Notifications, pollSeconds: number): () => void {
    const look = () => {
      this.refresh().catch((err: unknown) => this.log.warn({ err }, 'could not look for rotated provider keys'));
    };
    const unsubscribe = notifications.subscribe(KEYS_CHANNEL, look);
    const poll = setInterval(look, pollSeconds * 1000);
    poll.unref();
    return () => {
      unsubscribe();
      clearInterval(poll);
    };
  }
}

/** A method (a data property somewhere on the prototype chain), not a model class exposed by a getter. */
function isMethod(object: object, prop: PropertyKey): boolean {
  for (let o: object | null = object; o; o = Object.getPrototypeOf(o)) {
    const descriptor = Object.getOwnPropertyDescriptor(o, prop);
    if (descriptor) return 'value' in descriptor;
  }
  return false;
}
