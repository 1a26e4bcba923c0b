// Middleware every app shares: a request id, the client's address (front.ts), one structured log line per request and
// its metrics (CONTRACT §10).
import crypto from 'node:crypto';
import type { Context, Next } from 'koa';
import type { Logger } from '../log.js';
import { type ListenerName, type Metrics, type SignInResult, routeTemplate } from '../metrics.js';
import { requestFacts } from './front.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function clientAddress(ctx: Context): string {
  return ctx.state.clientAddress ?? requestFacts(ctx.req).clientAddress;
}

/** The login form's outcome, counted by the request's metrics when it ends; the user, for its log line. */
export function noteSignIn(ctx: Context, result: SignInResult, userId?: string): void {
  ctx.state.signInResult = result;
  if (userId) ctx.state.signInUser = userId;
}

interface Known {
  client_id?: string;
  user_id?: string;
}

/** The client and the user a request acted for, when it is known: oidc-provider's, the API caller's, the console's. */
function whoOf(ctx: Context): Known {
  const known: Known = {};
  // oidc-provider keeps what a request loaded in ctx.oidc.entities (a plain object: reading it loads nothing).
  type Entities = { Client?: { clientId?: string }; Account?: { accountId?: string }; Session?: { accountId?: string } };
  const entities = (ctx as Context & { oidc?: { entities?: Entities } }).oidc?.entities;
  const caller = ctx.state.caller as { clientId?: string; accountId?: string } | undefined;
  const consoleUser = (ctx.state.console as { user?: { id?: string } } | undefined)?.user?.id;
  const clientId = caller?.clientId ?? entities?.Client?.clientId;
  const userId = caller?.accountId ?? consoleUser ?? (ctx.state.signInUser as string | undefined) ?? entities?.Account?.accountId ?? entities?.Session?.accountId;
  if (typeof clientId === 'string') known.client_id = clientId;
  if (typeof userId === 'string') known.user_id = userId;
  return known;
}

export function requestContext(log: Logger, listener: ListenerName = 'public', metrics?: Metrics) {
  return async (ctx: Context, next: Next) => {
    const given = ctx.get('x-request-id');
    const requestId = REQUEST_ID.test(given) ? given : crypto.randomUUID();
    ctx.state.requestId = requestId;
    ctx.state.clientAddress = requestFacts(ctx.req).clientAddress;
    ctx.set('x-request-id', requestId);
    const started = process.hrtime.bigint();
    try {
      await next();
    } finally {
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      const route = routeTemplate(ctx);
      metrics?.request(listener, route, ctx.method, ctx.status, seconds);
      const signIn = ctx.state.signInResult as SignInResult | undefined;
      if (signIn) metrics?.signIn(signIn);
      // Nothing is gathered for a line the level drops (a benchmark runs at warn).
      if (log.isLevelEnabled('info')) {
        let known: Known = {};
        try {
          known = whoOf(ctx);
        } catch {
          // oidc-provider's context may refuse a read after an error; the line is written without them.
        }
        // The route template, never the path: paths and query strings can carry codes, tokens and setup links.
        log.info({
          request_id: requestId, client_address: ctx.state.clientAddress, listener, method: ctx.method, route,
          status: ctx.status, ms: Math.round(seconds * 1e4) / 10, ...known,
        }, 'request');
      }
    }
  };
}
