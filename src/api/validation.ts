// The API's request readers: JSON bodies, query strings and path parameters, checked against the shared JSON
// Schemas (src/schemas/) that the OpenAPI document also publishes (CONTRACT §4).
import type { Schema } from 'ajv';
import type { Context, Next } from 'koa';
import { Invalid } from '../domain/errors.js';
import { readBodyText } from '../http/body.js';
import { HostileInput, MalformedJson, parseJson } from '../http/inputGate.js';
import { compileBody, compileStrings, toEntries } from '../schemas/validate.js';
import { Malformed } from './errors.js';

export const BODY_LIMIT = '64kb';

/**
 * Reads a JSON body through the input gate (src/http/inputGate.ts): 415 for another media type, 413 over the
 * limit, 400 request_malformed when unparseable, too deep or holding hostile text.
 */
export async function readJson(ctx: Context, limit = BODY_LIMIT): Promise<unknown> {
  if (!ctx.request.length && !ctx.get('transfer-encoding')) return {};
  if (!ctx.is('application/json', '+json')) ctx.throw(415, 'expected Content-Type: application/json');
  let text: string;
  try {
    text = await readBodyText(ctx, limit);
  } catch (err) {
    const status = (err as { status?: number }).status;
    if (err instanceof HostileInput || status === 413 || status === 415) throw err;
    throw new Malformed('the body could not be read');
  }
  try {
    const value = parseJson(text);
    // As co-body's strict mode: a JSON body is an object or an array, never a bare value.
    if (typeof value !== 'object' || value === null) throw new Malformed('the body must be a JSON object');
    return value;
  } catch (err) {
    if (err instanceof MalformedJson) throw new Malformed(err.message);
    throw err;
  }
}

/** Parses and validates the JSON body; the valid body is left in ctx.state.body. */
export function validateBody(schema: Schema, limit = BODY_LIMIT) {
  const check = compileBody(schema);
  return async (ctx: Context, next: Next) => {
    const body = await readJson(ctx, limit);
    if (!check(body)) throw new Invalid(toEntries(check.errors, 'json_data_property'));
    ctx.state.body = body;
    await next();
  };
}

/** Validates the query string (a converted copy) into ctx.state.query. */
export function validateQuery(schema: Schema) {
  const check = compileStrings(schema);
  return async (ctx: Context, next: Next) => {
    const { value, valid, errors } = check(ctx.query as Record<string, unknown>);
    if (!valid) throw new Invalid(toEntries(errors, 'query_parameter'));
    ctx.state.query = value;
    await next();
  };
}

/** Validates path parameters into ctx.state.params. */
export function validateParams(schema: Schema) {
  const check = compileStrings(schema);
  return async (ctx: Context, next: Next) => {
    const { value, valid, errors } = check({ ...(ctx as unknown as { params: Record<string, string> }).params });
    if (!valid) throw new Invalid(toEntries(errors, 'path_parameter'));
    ctx.state.params = value;
    await next();
  };
}
