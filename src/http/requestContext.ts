// Middleware every app shares: a request id, the client's address (front.ts) and one structured log line per request.
import crypto from 'node:crypto';
import type { Context, Next } from 'koa';
import type { Logger } from '../log.js';
import { requestFacts } from './front.js';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

export function clientAddress(ctx: Context): string {
  return ctx.state.clientAddress ?? requestFacts(ctx.req).clientAddress;
}

export function requestContext(log: Logger) {
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
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      // The path only: query strings can carry codes and tokens.
      log.info({
        request_id: requestId, client_address: ctx.state.clientAddress, method: ctx.method, path: ctx.path,
        status: ctx.status, ms: Math.round(ms * 10) / 10,
      }, 'request');
    }
  };
}
