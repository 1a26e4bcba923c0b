// One middleware renders every error of /api and /internal as the contract's JSON (CONTRACT §4).
import type { Context, Next } from 'koa';
import { Conflict, Forbidden, Invalid, NotFound, TooLarge } from '../domain/errors.js';
import { type DatabaseOutage, RETRY_AFTER_SECONDS } from '../http/outage.js';
import { DPOP_ALGORITHMS } from './dpop.js';

export class Unauthorized extends Error {
  /** `dpop`: the token is DPoP-bound (or the DPoP scheme was used) and the proof was missing or wrong (RFC 9449 §7.1). */
  constructor(readonly scheme: 'bearer' | 'dpop' = 'bearer') {
    super('Access denied');
  }
}
export class InvalidScopes extends Error {}
export class Malformed extends Error {}

export function errorBody(err: unknown): { status: number; body: unknown } | null {
  if (err instanceof Invalid) {
    return { status: 422, body: { error: { type: 'validation_failed', message: err.message, invalid: err.entries } } };
  }
  if (err instanceof NotFound) return { status: 404, body: { error: { type: 'not_found' } } };
  if (err instanceof Conflict) return { status: 409, body: { error: { type: 'conflict', message: err.message } } };
  if (err instanceof TooLarge) return { status: 413, body: { error: { type: 'request_too_large', message: err.message } } };
  if (err instanceof Forbidden) return { status: 403, body: { error: { type: 'forbidden', message: err.message } } };
  if (err instanceof InvalidScopes) return { status: 403, body: { error: { type: 'forbidden', message: 'Invalid scopes' } } };
  if (err instanceof Unauthorized) return { status: 401, body: { error: { type: 'access_denied', message: 'Access denied' } } };
  if (err instanceof Malformed) return { status: 400, body: { error: { type: 'request_malformed', message: err.message } } };
  const status = (err as { status?: number; statusCode?: number }).status ?? (err as { statusCode?: number }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const type = status === 413 ? 'request_too_large' : status === 415 ? 'unsupported_media_type'
      : status === 405 ? 'method_not_allowed' : status === 404 ? 'not_found' : 'request_malformed';
    const message = (err as { expose?: boolean }).expose ? (err as Error).message : 'Bad request';
    return { status, body: { error: status === 404 ? { type } : { type, message } } };
  }
  return null;
}

/**
 * Renders every error of /api and /internal as the contract's JSON (CONTRACT §4); a database that does not answer
 * is 503 service_unavailable with Retry-After (CONTRACT §1), logged once by the outage monitor.
 */
export function apiErrors(outage: DatabaseOutage | undefined) {
  return async function renderApiErrors(ctx: Context, next: Next): Promise<void> {
    try {
      await next();
      if (ctx.status === 404 && ctx.body === undefined) {
        ctx.status = 404;
        ctx.body = { error: { type: 'not_found' } };
      }
    } catch (err) {
      const rendered = errorBody(err);
      if (!rendered) {
        if (!outage?.report(err)) throw err;
        ctx.status = 503;
        ctx.set('retry-after', String(RETRY_AFTER_SECONDS));
        ctx.body = { error: { type: 'service_unavailable', message: 'The database is not answering; try again shortly.' } };
        return;
      }
      ctx.status = rendered.status;
      ctx.body = rendered.body;
      if (err instanceof Unauthorized) {
        ctx.set('www-authenticate', err.scheme === 'dpop'
          ? `DPoP realm="gatehouse", error="invalid_token", algs="${DPOP_ALGORITHMS.join(' ')}"`
          : 'Bearer realm="gatehouse"');
      }
    }
  };
}
