// Assembles one Gatehouse instance: database, keys, provider, the public and the internal listener.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import Router from '@koa/router';
import type Provider from 'oidc-provider';
import { type Config, ConfigError } from './config.js';
import { type Database, isReady, migrate, openDatabase } from './db.js';
import { LoginThrottle } from './domain/loginThrottle.js';
import { PrintQueue } from './domain/printQueue.js';
import { Secrets } from './domain/secrets.js';
import { requestContext } from './http.js';
import { renderApiErrors } from './api/errors.js';
import { apiRouter } from './api/index.js';
import { consoleRouter } from './console/index.js';
import { internalRouter } from './internal/router.js';
import type { Logger } from './log.js';
import { type Notifications, openNotifications } from './notifications.js';
import { purgeExpired } from './oidc/adapter.js';
import { interactionRouter } from './oidc/interactions.js';
import { loadPepper, loadProviderKeys } from './oidc/keys.js';
import { createProvider } from './oidc/provider.js';
import { renderErrorPage } from './oidc/views.js';

export interface Gatehouse {
  config: Config;
  db: Database;
  provider: Provider;
  secrets: Secrets;
  notifications: Notifications;
  printQueue: PrintQueue;
  publicUrl: string;
  internalUrl: string;
  close(): Promise<void>;
}

/** Paths served by Gatehouse's own Koa app; everything else is oidc-provider's. */
const OWN_PATHS = /^\/(api|console|interaction|health)(\/|\?|$)/;
const PURGE_EVERY_MS = 10 * 60 * 1000;

export async function startGatehouse(config: Config, log: Logger): Promise<Gatehouse> {
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
    const keys = await loadProviderKeys(manager);
    const provider = createProvider({ config, pool: db.pool, manager, secrets, keys, log });
    provider.use(requestContext(log));
    const signals = (notifications = await openNotifications(db, config.databaseUrl, log));
    const printQueue = new PrintQueue(manager, signals, { leaseSeconds: config.printJobLeaseSeconds, closing: closing.signal, log });

    const app = new Koa();
    app.use(requestContext(log));
    app.use(htmlErrors(log));
    app.use(healthRouter(db).routes());
    app.use(apiErrorsFor('/api'));
    app.use(apiRouter({ manager, pool: db.pool, secrets, provider, printQueue }).routes());
    app.use(interactionRouter(provider, manager, new LoginThrottle(db.pool)).routes());
    app.use(consoleRouter({ manager, secrets, provider, issuer: config.issuer, cookieKeys: keys.cookieKeys }).routes());

    const internal = new Koa();
    internal.use(requestContext(log));
    internal.use(renderApiErrors);
    internal.use(internalRouter(manager, secrets).routes());

    const own = app.callback();
    const oidc = provider.callback();
    const publicServer = http.createServer((req, res) => (OWN_PATHS.test(req.url ?? '/') ? own(req, res) : oidc(req, res)));
    const internalServer = http.createServer(internal.callback());
    await listen(publicServer, config.port, '0.0.0.0', 'PORT');
    await listen(internalServer, config.internalPort, config.internalHost, 'INTERNAL_PORT');

    const purge = setInterval(() => {
      purgeExpired(db.pool).catch((err) => log.warn({ err }, 'purge of expired OIDC rows failed'));
    }, PURGE_EVERY_MS);
    purge.unref();

    const publicPort = (publicServer.address() as AddressInfo).port;
    const internalPort = (internalServer.address() as AddressInfo).port;
    return {
      config, db, provider, secrets, notifications: signals, printQueue,
      publicUrl: `http://127.0.0.1:${publicPort}`,
      internalUrl: `http://${config.internalHost}:${internalPort}`,
      async close() {
        clearInterval(purge);
        closing.abort();
        // The claims just woken write their answers within this turn of the event loop.
        await new Promise((resolve) => setImmediate(resolve));
        await Promise.all([close(publicServer), close(internalServer)]);
        await signals.close();
        await db.close();
      },
    };
  } catch (err) {
    closing.abort();
    await notifications?.close().catch(() => undefined);
    await db.close().catch(() => undefined);
    throw err;
  }
}

/** Unmatched /api paths answer the contract's JSON 404 too. */
function apiErrorsFor(prefix: string) {
  return (ctx: Koa.Context, next: Koa.Next) => (ctx.path === prefix || ctx.path.startsWith(`${prefix}/`) ? renderApiErrors(ctx, next) : next());
}

function healthRouter(db: Database): Router {
  const router = new Router({ prefix: '/health' });
  router.get('/live', (ctx) => {
    ctx.body = { status: 'ok' };
  });
  router.get('/ready', async (ctx) => {
    const ready = await isReady(db);
    ctx.status = ready ? 200 : 503;
    ctx.body = { status: ready ? 'ok' : 'unavailable' };
  });
  return router;
}

/** Pages (login, consent) show an error page: the status of a client error, 500 without details otherwise. */
function htmlErrors(log: Logger) {
  return async (ctx: Koa.Context, next: Koa.Next) => {
    if (ctx.path.startsWith('/api') || ctx.path.startsWith('/health')) return next();
    try {
      await next();
    } catch (err) {
      const e = err as { status?: number; statusCode?: number; error?: string; error_description?: string; message?: string; expose?: boolean };
      const status = e.statusCode ?? e.status ?? 500;
      if (status >= 500) log.error({ err, request_id: ctx.state.requestId }, 'request failed');
      ctx.status = status;
      ctx.type = 'html';
      ctx.body = renderErrorPage(status >= 500
        ? { error: 'server_error', error_description: 'something went wrong on our side' }
        : { error: e.error ?? 'invalid_request', error_description: e.error_description ?? (e.expose ? e.message ?? '' : '') });
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

function close(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
