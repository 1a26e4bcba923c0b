// Console form posts, declared per route as the API declares its routes (src/api/route.ts): what the form takes,
// the schema and messages it is checked with, the domain call, and where a success leads. Every post carries the
// session's CSRF token; a success answers 303 to a page that says what changed (flash.ts), so a reload repeats
// nothing (CONTRACT §7); a failure renders the form's page again with the problems next to their fields.
import type Router from '@koa/router';
import type { Schema } from 'ajv';
import type { Context, Next } from 'koa';
import { canonicalClientId, UUID } from '../domain/clients.js';
import { Conflict, Invalid, NotFound } from '../domain/errors.js';
import { readBodyText } from '../http/body.js';
import { parseForm } from '../http/inputGate.js';
import { compileBody, toEntries } from '../schemas/validate.js';
import type { Flash, FlashCookie } from './flash.js';
import { csrfTokens, need, signedIn } from './session.js';

export type PostedForm = Record<string, string | string[]>;

/** A form whose CSRF token is missing, forged or from another session. */
export class CsrfRejected extends Error {}

/** Reads an urlencoded form through the input gate; every POST checks its CSRF token against the session's secret. */
export async function csrfForm(ctx: Context, next: Next): Promise<void> {
  if (ctx.method !== 'POST') return next();
  if (!ctx.is('application/x-www-form-urlencoded')) ctx.throw(415, 'expected a form');
  // A field sent many times (permissions) stays a list however long it is.
  const body = parseForm(await readBodyText(ctx, '64kb'));
  const token = body._csrf;
  if (typeof token !== 'string' || !csrfTokens.verify(signedIn(ctx).csrfSecret, token)) throw new CsrfRejected();
  delete body._csrf;
  ctx.state.form = body;
  await next();
}

export function formOf(ctx: Context): PostedForm {
  return (ctx.state.form ?? {}) as PostedForm;
}

export function text(value: unknown): string {
  return typeof value === 'string' ? value.trim() : '';
}

export function list(value: unknown): string[] {
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return typeof value === 'string' ? [value] : [];
}

export function param(ctx: Context, name: string): string {
  return (ctx as unknown as { params: Record<string, string> }).params[name];
}

/** A path parameter naming a client, canonical like every other door's (src/domain/clients.ts). */
export function clientParam(ctx: Context, name = 'id'): string {
  return canonicalClientId(param(ctx, name));
}

/** A path parameter that must be a UUID: anything else is simply not found (and never reaches SQL). */
export function uuidParam(ctx: Context, name: string): string {
  const value = param(ctx, name);
  if (!UUID.test(value)) throw new NotFound();
  return value.toLowerCase();
}

/** Messages per form field, from the `$.field` entries of a validation failure. */
export type FieldErrors = Record<string, string[]>;

export function fieldOf(entry: string): string {
  return entry.replace(/^\$\.?/, '').split(/[.[]/)[0] || 'form';
}

export function fieldErrors(entries: Invalid['entries']): FieldErrors {
  const out: FieldErrors = {};
  for (const e of entries) (out[fieldOf(e.entry)] ??= []).push(...e.rules.map((r) => r.description));
  return out;
}

/**
 * Checks a form against the shared JSON Schemas, as the API does: the server never trusts the browser. `messages`
 * says in plain words what a field needs, in place of the schema's terse rule names.
 */
export function validator(schema: Schema, messages: Record<string, string> = {}) {
  const check = compileBody(schema);
  return (value: object): FieldErrors | null => {
    if (check(value)) return null;
    const errors = fieldErrors(toEntries(check.errors, 'json_data_property'));
    for (const field of Object.keys(errors)) if (messages[field]) errors[field] = [messages[field]];
    return errors;
  };
}

export interface FormSpec<I, O> {
  path: string;
  /** Any one of these scopes may post it. */
  scopes: string[];
  /** The fields this form takes, read from the post. */
  read(form: PostedForm, ctx: Context): I;
  /** Checked before the domain sees it (a `validator`). */
  check?: (input: I) => FieldErrors | null;
  /** The change itself: a domain function, with the signed-in user as the actor. */
  run(ctx: Context, input: I): Promise<O>;
  /** The field a Conflict is about ('form' when not given). */
  conflictField?: string;
  /** Where a success leads and what that page says once. */
  done(ctx: Context, output: O, input: I): { to: string; flash: Flash };
  /** The form's page again, with the problems (status 422, or 409 for a conflict). */
  retry(ctx: Context, input: I, errors: FieldErrors, status: number): Promise<void> | void;
}

/** After a successful POST the browser goes to a page with GET (303), so a reload never repeats the action. */
export function seeOther(ctx: Context, url: string): void {
  ctx.redirect(url);
  ctx.status = 303;
}

export function postForm<I, O>(router: Router, spec: FormSpec<I, O>): void {
  router.post(spec.path, need(...spec.scopes), async (ctx) => {
    const input = spec.read(formOf(ctx), ctx);
    let errors = spec.check?.(input) ?? null;
    let status = 422;
    if (!errors) {
      try {
        const output = await spec.run(ctx, input);
        const { to, flash } = spec.done(ctx, output, input);
        (ctx.state.flash as FlashCookie).set(ctx, flash);
        return seeOther(ctx, to);
      } catch (err) {
        if (err instanceof Invalid) errors = fieldErrors(err.entries);
        else if (err instanceof Conflict) {
          errors = { [spec.conflictField ?? 'form']: [err.message] };
          status = 409;
        } else throw err;
      }
    }
    await spec.retry(ctx, input, errors, status);
  });
}
