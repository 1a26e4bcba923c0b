// "Something changed" signals between the instances on one database (CONTRACT §1 "several instances"): a channel
// and a text payload. On PostgreSQL, LISTEN/NOTIFY over one dedicated connection per instance (never a pool's: a
// pooled session would lose its LISTEN when released); on the embedded database, one process, an in-process emitter.
// Print jobs wake waiting claims with it (§9); other signals (a signing key rotated) can use it the same way.
import pg from 'pg';
import type { Database } from './db.js';
import type { Logger } from './log.js';

/** Called with a notification's payload, or with null when notifications may have been missed: look for yourself. */
export type Listener = (payload: string | null) => void;

/** Whatever runs a statement: a pg Pool, a TypeORM EntityManager (a transaction's too). */
export interface Queryable {
  query(sql: string, params?: unknown[]): Promise<unknown>;
}

export interface Notifications {
  /** Sends `payload` on `channel` to every instance; sent through a transaction, it leaves when that commits. */
  publish(via: Queryable, channel: string, payload: string): Promise<void>;
  /** Returns the function that unsubscribes. */
  subscribe(channel: string, listener: Listener): () => void;
  close(): Promise<void>;
}

const CHANNEL = /^[a-z_][a-z0-9_]{0,62}$/;
/** While the LISTEN connection is down, subscribers are told every second to look for themselves (the poll fallback). */
export const POLL_WHILE_DOWN_MS = 1000;
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5000;
// A connection that died without a FIN or RST (a dropped network path) is found by a query that does not come back.
const HEARTBEAT_MS = 15_000;
const HEARTBEAT_TIMEOUT_MS = 5000;

export async function openNotifications(db: Database, databaseUrl: string | undefined, log: Logger): Promise<Notifications> {
  if (db.embedded || !databaseUrl) return new LocalNotifications();
  const notifications = new PgNotifications(databaseUrl, log);
  await notifications.start();
  return notifications;
}

abstract class Subscribers {
  protected readonly listeners = new Map<string, Set<Listener>>();

  constructor(protected readonly log?: Logger) {}

  subscribe(channel: string, listener: Listener): () => void {
    assertChannel(channel);
    let set = this.listeners.get(channel);
    if (!set) {
      this.listeners.set(channel, (set = new Set<Listener>()));
      this.listening(channel);
    }
    set.add(listener);
    return () => set.delete(listener);
  }

  /** A new channel has its first subscriber. */
  protected listening(_channel: string): void {}

  protected deliver(channel: string, payload: string | null): void {
    for (const listener of this.listeners.get(channel) ?? []) {
      try {
        listener(payload);
      } catch (err) {
        this.log?.error({ err, channel }, 'a notification listener failed');
      }
    }
  }

  /** Every subscriber of every channel: notifications may have been missed. */
  protected deliverGap(): void {
    for (const channel of this.listeners.keys()) this.deliver(channel, null);
  }
}

/**
 * The embedded database has one process and one pooled connection. Delivering at once, even from inside a
 * transaction, is safe: whatever a listener queries waits for that one connection, so it runs after the commit.
 */
export class LocalNotifications extends Subscribers implements Notifications {
  async publish(_via: Queryable, channel: string, payload: string): Promise<void> {
    assertChannel(channel);
    setImmediate(() => this.deliver(channel, payload));
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }
}

export class PgNotifications extends Subscribers implements Notifications {
  private client: pg.Client | null = null;
  private readonly dead = new WeakSet<pg.Client>();
  private closed = false;
  private down = false;
  private retryMs = RETRY_MIN_MS;
  private poll: NodeJS.Timeout | undefined;
  private retry: NodeJS.Timeout | undefined;
  private heartbeat: NodeJS.Timeout | undefined;

  constructor(private readonly url: string, log: Logger) {
    super(log);
  }

  /** The first connection; when it fails, the instance starts anyway and keeps trying (and polling) by itself. */
  async start(): Promise<void> {
    await this.connect();
    this.heartbeat = setInterval(() => void this.beat(), HEARTBEAT_MS);
    this.heartbeat.unref();
  }

  async publish(via: Queryable, channel: string, payload: string): Promise<void> {
    assertChannel(channel);
    await via.query('SELECT pg_notify($1, $2)', [channel, payload]);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.poll);
    clearInterval(this.heartbeat);
    clearTimeout(this.retry);
    const client = this.client;
    this.client = null;
    if (client) {
      this.dead.add(client);
      await client.end().catch(() => undefined);
    }
  }

  get connected(): boolean {
    return this.client !== null;
  }

  protected listening(channel: string): void {
    const client = this.client;
    // Whatever was sent before the LISTEN took effect is looked for once it has.
    client?.query(`LISTEN ${channel}`).then(() => this.deliver(channel, null), (err) => this.lost(client, err));
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({
      connectionString: this.url, application_name: 'gatehouse-listen', keepAlive: true, query_timeout: HEARTBEAT_TIMEOUT_MS,
    });
    client.on('notification', (msg) => {
      if (this.client === client) this.deliver(msg.channel, msg.payload ?? '');
    });
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client));
    try {
      await client.connect();
      for (const channel of this.listeners.keys()) await client.query(`LISTEN ${channel}`);
    } catch (err) {
      this.lost(client, err);
      return;
    }
    if (this.closed || this.dead.has(client)) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.retryMs = RETRY_MIN_MS;
    clearInterval(this.poll);
    this.poll = undefined;
    if (this.down) this.log?.info('listening for notifications again');
    this.down = false;
    // Notifications sent while nobody listened are lost: everyone looks once.
    this.deliverGap();
  }

  private lost(client: pg.Client, err?: unknown): void {
    if (this.dead.has(client)) return;
    this.dead.add(client);
    client.end().catch(() => undefined);
    if (this.client === client) this.client = null;
    if (this.closed) return;
    if (!this.down) this.log?.warn({ err }, 'lost the connection that listens for notifications: polling until it is back');
    this.down = true;
    this.poll ??= setInterval(() => this.deliverGap(), POLL_WHILE_DOWN_MS);
    this.poll.unref();
    this.retry = setTimeout(() => void this.connect(), this.retryMs);
    this.retry.unref();
    this.retryMs = Math.min(this.retryMs * 2, RETRY_MAX_MS);
  }

  private async beat(): Promise<void> {
    const client = this.client;
    if (!client) return;
    await client.query('SELECT 1').catch((err) => this.lost(client, err));
  }
}

function assertChannel(channel: string): void {
  // The name goes into LISTEN unquoted: a fixed lower-case identifier, never input.
  if (!CHANNEL.test(channel)) throw new Error(`not a notification channel name: ${channel}`);
}
