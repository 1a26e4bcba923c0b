// What every console page shares: the signed-in state, the gate on a scope, rendering, forms and the errors that
// become pages. Pages call domain functions with the signed-in user as the actor, like the API does with a token.
import parse from 'co-body';
import type { Context, Next } from 'koa';
import Tokens from 'csrf';
import type { Schema } from 'ajv';
import type { Actor } from '../domain/audit.js';
import { UUID } from '../domain/clients.js';
import type { ConsoleSession } from '../domain/consoleSessions.js';
import { Conflict, Forbidden, Invalid, NotFound } from '../domain/errors.js';
import { compileBody, toEntries } from '../schemas/validate.js';
import { render } from '../oidc/views.js';

export const csrfTokens = new Tokens();

export interface SignedIn extends ConsoleSession {
  sessionId: string;
}

export function signedIn(ctx: Context): SignedIn {
  return ctx.state.console as SignedIn;
}

export function actorOf(ctx: Context): Actor & { id: string } {
  return { type: 'user', id: signedIn(ctx).user.id, requestId: ctx.state.requestId ?? null };
}

/** A signed-in user without the scope a page or action needs. */
export class MissingScope extends Error {
  constructor(readonly scopes: readonly string[]) {
    super(`needs ${scopes.join(' or ')}`);
  }
}

/** A form whose CSRF token is missing, forged or from another session. */
export class CsrfRejected extends Error {}

/** The signed-in user holds any one of `scopes` now (the live set, CONTRACT §3 "Permissions are live"). */
export function may(ctx: Context, ...scopes: string[]): boolean {
  const state = ctx.state.console as SignedIn | undefined;
  return !!state && scopes.some((s) => state.scopes.has(s));
}

/** The page or action needs any one of `scopes`; without it the user gets a 403 page that names them. */
export function need(...scopes: string[]) {
  return async (ctx: Context, next: Next) => {
    if (!may(ctx, ...scopes)) throw new MissingScope(scopes);
    await next();
  };
}

/** Renders a console page with what every page needs: who is signed in, what they may do, a CSRF token. */
export function page(ctx: Context, template: string, vars: Record<string, unknown> = {}, status = 200): void {
  const state = ctx.state.console as SignedIn | undefined;
  ctx.status = status;
  ctx.type = 'html';
  ctx.set('cache-control', 'no-store');
  ctx.body = render(`console/${template}`, {
    ...vars,
    me: state?.user,
    can: (...scopes: string[]) => may(ctx, ...scopes),
    csrf: state ? csrfTokens.create(state.csrfSecret) : '',
    path: ctx.path,
  });
}

/** Reads an urlencoded form; every POST of the console checks its CSRF token against the session's secret. */
export async function csrfForm(ctx: Context, next: Next): Promise<void> {
  if (ctx.method !== 'POST') return next();
  if (!ctx.is('application/x-www-form-urlencoded')) ctx.throw(415, 'expected a form');
  // URLSearchParams, not qs: a field sent many times (permissions) stays a list however long it is.
  const body: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(await parse.text(ctx, { limit: '64kb' }))) {
    const seen = body[key];
    body[key] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  const token = body._csrf;
  if (typeof token !== 'string' || !csrfTokens.verify(signedIn(ctx).csrfSecret, token)) throw new CsrfRejected();
  delete body._csrf;
  ctx.state.form = body;
  await next();
}

export function formOf(ctx: Context): Record<string, unknown> {
  return (ctx.state.form ?? {}) as Record<string, unknown>;
}

export function text(value: unknown): string {
  return typeof value === 'string' ? value.trim() : '';
}

export function list(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return typeof value === 'string' ? [value] : [];
}

/** Messages per form field, from the `$.field` entries of a validation failure. */
export type FieldErrors = Record<string, string[]>;

function fieldOf(entry: string): string {
  return entry.replace(/^\$\.?/, '').split(/[.[]/)[0] || 'form';
}

export function fieldErrors(entries: Invalid['entries']): FieldErrors {
  const out: FieldErrors = {};
  for (const e of entries) (out[fieldOf(e.entry)] ??= []).push(...e.rules.map((r) => r.description));
  return out;
}

/**
 * Checks a form against the JSON Schemas of the API, as the API does: the server never trusts the browser.
 * `messages` says in plain words what a field needs, in place of the schema's terse rule names.
 */
export function validator(schema: Schema, messages: Record<string, string> = {}) {
  const check = compileBody(schema);
  return (value: Record<string, unknown>): FieldErrors | null => {
    if (check(value)) return null;
    const errors = fieldErrors(toEntries(check.errors, 'json_data_property'));
    for (const field of Object.keys(errors)) if (messages[field]) errors[field] = [messages[field]];
    return errors;
  };
}

/**
 * Runs a domain call; a validation failure or a conflict comes back as messages for the fields they concern
 * (`conflictField` names the field a Conflict is about), anything else is thrown on.
 */
export async function attempt<T>(call: () => Promise<T>, conflictField = 'form'): Promise<{ ok: T } | { errors: FieldErrors }> {
  try {
    return { ok: await call() };
  } catch (err) {
    if (err instanceof Invalid) return { errors: fieldErrors(err.entries) };
    if (err instanceof Conflict) return { errors: { [conflictField]: [err.message] } };
    throw err;
  }
}

export interface Paged {
  page: number;
  pageSize: number;
}

export const PAGE_SIZE = 20;

export function pageParam(ctx: Context): Paged {
  const n = Number(ctx.query.page);
  return { page: Number.isSafeInteger(n) && n >= 1 && n <= 1_000_000 ? n : 1, pageSize: PAGE_SIZE };
}

/** Links to the previous and next page that keep the current filters. */
export function pager(ctx: Context, { page, pageSize }: Paged, total: number) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const link = (n: number) => {
    const q = new URLSearchParams(ctx.querystring);
    q.set('page', String(n));
    return `${ctx.path}?${q}`;
  };
  return { page, pages, total, prev: page > 1 ? link(page - 1) : null, next: page < pages ? link(page + 1) : null };
}

/** Console errors as pages: a clear 403 for a missing scope or a bad CSRF token, 404 for unknown things. */
export async function consoleErrors(ctx: Context, next: Next): Promise<void> {
  try {
    await next();
  } catch (err) {
    if (err instanceof MissingScope) {
      return page(ctx, 'forbidden.njk', { title: 'Not allowed', scopes: err.scopes }, 403);
    }
    if (err instanceof CsrfRejected) {
      return page(ctx, 'message.njk', {
        title: 'Form expired', heading: 'This form could not be accepted',
        message: 'It was not sent from your current console session (the security token is missing or does not match). Go back, reload the page and try again.',
      }, 403);
    }
    if (err instanceof Forbidden) return page(ctx, 'message.njk', { title: 'Not allowed', heading: 'Not allowed', message: err.message }, 403);
    if (err instanceof NotFound) {
      return page(ctx, 'message.njk', { title: 'Not found', heading: 'Not found', message: 'There is nothing here: it may have been deleted.' }, 404);
    }
    if (err instanceof Invalid) {
      const messages = err.entries.flatMap((e) => e.rules.map((r) => `${fieldOf(e.entry)}: ${r.description}`));
      return page(ctx, 'message.njk', { title: 'Invalid request', heading: 'This request could not be accepted', messages }, 422);
    }
    throw err;
  }
}

export function param(ctx: Context, name: string): string {
  return (ctx as unknown as { params: Record<string, string> }).params[name];
}

/** A path parameter that must be a UUID: anything else is simply not found (and never reaches SQL). */
export function uuidParam(ctx: Context, name: string): string {
  const value = param(ctx, name);
  if (!UUID.test(value)) throw new NotFound();
  return value;
}

/** After a successful POST the browser goes to a page with GET (303), so a reload never repeats the action. */
export function seeOther(ctx: Context, url: string): void {
  ctx.redirect(url);
  ctx.status = 303;
}
