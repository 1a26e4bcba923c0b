// Assembles one Gatehouse instance: database, keys, provider, the public and the internal listener, and their
// orderly end (CONTRACT §1 SHUTDOWN_GRACE_SECONDS).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import Router from '@koa/router';
import send from 'koa-send';
import type Provider from 'oidc-provider';
import type { EntityManager } from 'typeorm';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Config, ConfigError } from './config.js';
import { type Database, isReady, migrate, openDatabase } from './db.js';
import { SYSTEM_ACTOR } from './domain/audit.js';
import { repairConsole } from './domain/consoleClient.js';
import { type HousekeepingRun, removeExpired } from './domain/housekeeping.js';
import { LoginThrottle } from './domain/loginThrottle.js';
import { PrintQueue } from './domain/printQueue.js';
import { Secrets } from './domain/secrets.js';
import { apiErrors } from './api/errors.js';
import { apiRouter } from './api/index.js';
import { consoleRouter } from './console/index.js';
import { type EndpointKind, front } from './http/front.js';
import { DatabaseOutage, RETRY_AFTER_SECONDS } from './http/outage.js';
import { chooseLocale, type Locale } from './http/i18n.js';
import { defaultLocaleOf, pageLanguage, pageSecurityHeaders, renderErrorPage } from './http/pages.js';
import { accountRouter } from './account/index.js';
import { requestContext } from './http/requestContext.js';
import { internalRouter } from './internal/router.js';
import type { Logger } from './log.js';
import { type Notifications, openNotifications } from './notifications.js';
import { interactionRouter } from './oidc/interactions.js';
import { ensureProviderKeys, loadPepper, loadProviderKeys, publishedJwks } from './oidc/keys.js';
import { ProviderHolder } from './oidc/providerHolder.js';
import { Metrics } from './metrics.js';
import { passwordSetupRouter } from './pages/passwordSetup.js';
import { sameOriginForms } from './http/sameOrigin.js';
import { DEFAULT_TUNING, type Tuning, createProvider } from './oidc/provider.js';
import { oidcRequest } from './oidc/requestState.js';

export interface Gatehouse {
  config: Config;
  db: Database;
  /** The Provider serving now; a key rotation replaces it (src/oidc/providerHolder.ts). */
  readonly provider: Provider;
  providers: ProviderHolder;
  metrics: Metrics;
  /** One housekeeping run now (it also runs every HOUSEKEEPING_INTERVAL_SECONDS). */
  housekeeping(): Promise<HousekeepingRun>;
  secrets: Secrets;
  notifications: Notifications;
  printQueue: PrintQueue;
  publicUrl: string;
  internalUrl: string;
  /** Aborted when the instance starts to close: long waits (print job claims) end early. */
  closing: AbortSignal;
  /** Stops accepting, lets requests in flight complete for up to `graceMs`, then closes the database. */
  close(graceMs?: number): Promise<void>;
}

/** Paths served by Gatehouse's own Koa app; everything else is oidc-provider's. */
const OWN_PATHS = /^\/(api|console|interaction|account|password|health|assets)(\/|$)|^\/jwks$/;
/** Paths whose answers are pages (HTML), for the shape of an error. */
const PAGE_PATHS = /^\/(console|interaction|account|password|auth|session\/end)(\/|$)/;
/** How long a draining instance keeps answering readiness probes (503) when nothing is in flight. */
const LINGER_MS = 1000;
const ASSETS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../public');

function kindOf(p: string): EndpointKind {
  if (p === '/api' || p.startsWith('/api/') || p.startsWith('/internal') || p.startsWith('/health')) return 'api';
  return PAGE_PATHS.test(p) ? 'page' : 'oauth';
}

/** A refused request in its endpoint's shape: the API's JSON, RFC 6749 §5.2 JSON, or an error page. */
const refuser = (defaultLocale: Locale) => (res: http.ServerResponse, kind: EndpointKind, status: number, message: string): void => {
  // What is left of a refused request's body must not be read as the next request on the connection.
  const headers: Record<string, string> = { connection: 'close' };
  const error = status === 503 ? 'temporarily_unavailable' : 'invalid_request';
  let body: string;
  if (kind === 'page') {
    Object.assign(headers, pageSecurityHeaders(), { 'content-type': 'text/html; charset=utf-8' });
    const locale = chooseLocale(undefined, res.req?.headers['accept-language'], defaultLocale);
    body = renderErrorPage({ error, error_description: message }, { locale });
  } else {
    headers['content-type'] = 'application/json; charset=utf-8';
    body = JSON.stringify(kind === 'api'
      ? { error: { type: status === 503 ? 'service_unavailable' : status === 413 ? 'request_too_large' : 'request_malformed', message } }
      : { error, error_description: message });
  }
  res.writeHead(status, headers).end(body);
};

export async function startGatehouse(config: Config, log: Logger, tuning: Tuning = DEFAULT_TUNING): Promise<Gatehouse> {
  const db = await openDatabase(config);
  // Aborted first thing in close(): waiting print job claims answer before their connections close (CONTRACT §9).
  const closing = new AbortController();
  let notifications: Notifications | undefined;
  try {
    await migrate(db);
    const manager = db.dataSource.manager;
    const { pepper, generated } = await loadPepper(manager, config.secretPepper);
    if (generated) log.warn('SECRET_PEPPER is not set: using the pepper generated at first start and kept in the database; set SECRET_PEPPER to keep it out of the database');
    const secrets = new Secrets(pepper);
    // CONTRACT §7: at every start the console's connection points at this ISSUER, so changing it never locks the console out.
    const repaired = await repairConsole(manager, secrets, config.issuer, SYSTEM_ACTOR);
    if (repaired === 'restored' || repaired === 'recreated') log.warn({ redirect_uri: `${config.issuer}/console/callback` }, `the admin console's connection was ${repaired}`);
    await ensureProviderKeys(manager);
    const outage = new DatabaseOutage(db.pool, log);
    const metrics = new Metrics(db.pool);
    // Built again, with the same storage, whenever the keys rotate (CONTRACT §6).
    const buildProvider = (keys: Parameters<typeof createProvider>[0]['keys']) => {
      const provider = createProvider({ config, pool: db.pool, manager, secrets, keys, tuning });
      provider.proxy = true;
      provider.use(requestContext(log, 'public', metrics));
      provider.use(defaultLocaleOf(config.defaultLocale));
      metrics.watch(provider);
      // A request that failed because the database did not answer is 503, not 500, and logged once (CONTRACT §1).
      provider.use(async (ctx, next) => {
        await next();
        if (!oidcRequest(ctx as unknown as { state: Record<string, unknown> }).databaseUnavailable) return;
        ctx.status = 503;
        ctx.set('retry-after', String(RETRY_AFTER_SECONDS));
        const description = 'the database is not answering; try again shortly';
        if (ctx.response.is('html')) {
          ctx.set(pageSecurityHeaders());
          ctx.body = renderErrorPage({ error: 'temporarily_unavailable', error_description: description }, pageLanguage(ctx));
        } else {
          ctx.body = { error: 'temporarily_unavailable', error_description: description };
        }
      });
      provider.on('server_error', (ctx, err) => {
        if (outage.report(err)) oidcRequest(ctx as unknown as { state: Record<string, unknown> }).databaseUnavailable = true;
        else log.error({ err, path: ctx.path }, 'oidc-provider server error');
      });
      return provider;
    };
    const providers = await ProviderHolder.create(buildProvider, () => loadProviderKeys(manager), log);
    const provider = providers.view();
    const signals = (notifications = await openNotifications(db, config.databaseUrl, log));
    const printQueue = new PrintQueue(manager, signals, { leaseSeconds: config.printJobLeaseSeconds, closing: closing.signal, log });

    const app = new Koa();
    app.proxy = true;
    app.use(requestContext(log, 'public', metrics));
    app.use(defaultLocaleOf(config.defaultLocale));
    app.use(htmlErrors(log, outage));
    app.use(sameOriginForms(config.issuer));
    app.use(healthRouter(db, outage, closing.signal).routes());
    app.use(apiErrorsFor('/api', outage));
    app.use(apiRouter({ manager, pool: db.pool, secrets, issuer: config.issuer, printQueue }).routes());
    app.use(assetRouter().routes());
    app.use(jwksRouter(manager).routes());
    const throttle = new LoginThrottle(db.pool);
    app.use(interactionRouter(provider, manager, throttle, secrets).routes());
    app.use(passwordSetupRouter(manager, secrets).routes());
    app.use(accountRouter({ manager, secrets, throttle, issuer: config.issuer, cookieKeys: providers.cookieKeys }).routes());
    app.use(consoleRouter({ manager, secrets, provider, issuer: config.issuer, cookieKeys: providers.cookieKeys, adminMfa: config.adminMfa }).routes());

    const internal = new Koa();
    internal.proxy = true;
    internal.use(requestContext(log, 'internal', metrics));
    internal.use(apiErrors(outage));
    internal.use(internalRouter(manager, secrets).routes());
    internal.use(metricsRouter(metrics).routes());

    const own = app.callback();
    const oidc = providers.callback();
    const stopWatchingKeys = providers.watch(signals, config.keyPollSeconds);
    const frontOptions = { issuer: config.issuer, trustProxy: config.trustProxy, kindOf, refuse: refuser(config.defaultLocale) };
    const inFlight = new Set<http.ServerResponse>();
    const tracked = (listener: http.RequestListener): http.RequestListener => (req, res) => {
      inFlight.add(res);
      res.once('close', () => inFlight.delete(res));
      // While draining, keep-alive clients are told to reconnect (to another instance).
      if (closing.signal.aborted) res.setHeader('connection', 'close');
      listener(req, res);
    };
    const publicServer = http.createServer(tracked(front(frontOptions, (p) => (OWN_PATHS.test(p)
      ? { handler: own, readsOwnBody: true }
      : { handler: oidc, readsOwnBody: false }))));
    const internalServer = http.createServer(tracked(front({ ...frontOptions, kindOf: () => 'api' }, () => ({ handler: internal.callback(), readsOwnBody: true }))));
    await listen(publicServer, config.port, '0.0.0.0', 'PORT');
    await listen(internalServer, config.internalPort, config.internalHost, 'INTERNAL_PORT');

    // CONTRACT §1 housekeeping: each run clears the whole backlog in batches, one instance at a time.
    const housekeeping = async () => {
      const run = await removeExpired(db.pool, {
        batch: config.housekeepingBatchSize, auditRetentionDays: config.auditRetentionDays, embedded: db.embedded,
      }, log);
      metrics.removed(run.deleted);
      return run;
    };
    let housekeepingRun: Promise<unknown> | undefined;
    const purge = setInterval(() => {
      housekeepingRun ??= housekeeping().catch((err: unknown) => {
        if (!outage.report(err)) log.warn({ err }, 'housekeeping failed');
      }).finally(() => {
        housekeepingRun = undefined;
      });
    }, config.housekeepingIntervalSeconds * 1000);
    purge.unref();

    const publicPort = (publicServer.address() as AddressInfo).port;
    const internalPort = (internalServer.address() as AddressInfo).port;
    let closed: Promise<void> | undefined;
    return {
      config, db, providers, metrics, housekeeping, secrets, notifications: signals, printQueue,
      get provider() {
        return providers.current();
      },
      publicUrl: `http://127.0.0.1:${publicPort}`,
      internalUrl: `http://${config.internalHost}:${internalPort}`,
      closing: closing.signal,
      close(graceMs = 0) {
        closed ??= (async () => {
          // First: waiting print job claims answer at once instead of holding the drain (CONTRACT §9); the claims just
          // woken write their answers within this turn of the event loop.
          closing.abort();
          await new Promise((resolve) => setImmediate(resolve));
          clearInterval(purge);
          stopWatchingKeys();
          // Still listening for a moment, so that readiness probes see 503 (CONTRACT §1), then until the requests
          // in flight are done or the grace is over; answers meanwhile close their connections.
          const started = Date.now();
          const linger = started + Math.min(graceMs, LINGER_MS);
          while (Date.now() < started + graceMs && (Date.now() < linger || inFlight.size > 0)) await new Promise((r) => setTimeout(r, 25));
          const stopped = Promise.all([stopListening(publicServer), stopListening(internalServer)]);
          publicServer.closeAllConnections();
          internalServer.closeAllConnections();
          await stopped;
          outage.stop();
          await signals.close();
          await db.close();
        })();
        return closed;
      },
    };
  } catch (err) {
    closing.abort();
    await notifications?.close().catch(() => undefined);
    await db.close().catch(() => undefined);
    throw err;
  }
}

/** oidc-provider's JWKS route, answered from the database so that a rotated key is published at once (CONTRACT §6). */
function jwksRouter(manager: EntityManager): Router {
  const router = new Router();
  router.get('/jwks', async (ctx) => {
    ctx.type = 'application/jwk-set+json; charset=utf-8';
    ctx.body = JSON.stringify(await publishedJwks(manager));
  });
  return router;
}

/** CONTRACT §10: Prometheus text format, internal listener only. */
function metricsRouter(metrics: Metrics): Router {
  const router = new Router();
  router.get('/metrics', async (ctx) => {
    const { contentType, body } = await metrics.scrape();
    ctx.type = contentType;
    ctx.body = body;
  });
  return router;
}

/** Unmatched /api paths answer the contract's JSON 404 too. */
function apiErrorsFor(prefix: string, outage: DatabaseOutage) {
  const render = apiErrors(outage);
  return (ctx: Koa.Context, next: Koa.Next) => (ctx.path === prefix || ctx.path.startsWith(`${prefix}/`) ? render(ctx, next) : next());
}

function healthRouter(db: Database, outage: DatabaseOutage, draining: AbortSignal): Router {
  const router = new Router({ prefix: '/health' });
  router.get('/live', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/ready', async (ctx) => {
    // Not ready while shutting down (load balancers stop sending), while the database is out, or migrations pend.
    const ready = !draining.aborted && !outage.down && await isReady(db);
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? 'ok' : draining.aborted ? 'stopping' : 'unavailable' };
  });
  return router;
}

/** The end-user pages' stylesheet (nothing is loaded from another origin, CONTRACT §3). */
function assetRouter(): Router {
  const router = new Router({ prefix: '/assets' });
  router.get('/:file', async (ctx) => {
    if (!/^[a-z0-9-]+\.css$/.test(ctx.params.file)) return;
    await send(ctx, ctx.params.file, { root: ASSETS, maxage: 3600_000 });
  });
  return router;
}

/** Pages show an error page: the status of a client error, 503 for a database outage, 500 without details otherwise. */
function htmlErrors(log: Logger, outage: DatabaseOutage) {
  return async (ctx: Koa.Context, next: Koa.Next) => {
    if (ctx.path.startsWith('/api') || ctx.path.startsWith('/health')) return next();
    try {
      await next();
    } catch (err) {
      const e = err as { status?: number; statusCode?: number; error?: string; error_description?: string; message?: string; expose?: boolean };
      let status = e.statusCode ?? e.status ?? 500;
      if (status >= 500 && outage.report(err)) {
        status = 503;
        ctx.set('retry-after', String(RETRY_AFTER_SECONDS));
      } else if (status >= 500) {
        log.error({ err, request_id: ctx.state.requestId }, 'request failed');
      }
      ctx.set(pageSecurityHeaders());
      ctx.status = status;
      ctx.type = 'html';
      ctx.body = renderErrorPage(status === 503
        ? { error: 'temporarily_unavailable', error_description: 'the database is not answering; try again shortly' }
        : status >= 500
          ? { error: 'server_error', error_description: 'something went wrong on our side' }
          : { error: e.error ?? 'invalid_request', error_description: e.error_description ?? (e.expose ? e.message ?? '' : '') },
      pageLanguage(ctx));
    }
  };
}

/** A port that cannot be had is a configuration problem: it names the variable (CONTRACT §1). */
function listen(server: http.Server, port: number, host: string, variable: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (err: NodeJS.ErrnoException) => reject(new ConfigError([`${variable}: cannot listen on ${host}:${port} (${err.code ?? err.message})`]));
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
      resolve();
    });
  });
}

/** Stops accepting connections and closes idle keep-alive ones; resolves when every connection is gone. */
function stopListening(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
}
