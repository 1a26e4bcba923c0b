// Request validation with ajv from the same JSON Schemas that the OpenAPI document publishes (CONTRACT §4).
import AjvModule, { type ErrorObject, type Schema, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import parse from 'co-body';
import type { Context, Next } from 'koa';
import { Invalid, type InvalidEntry } from '../domain/errors.js';
import { isValidRedirectUri } from '../domain/redirectUri.js';
import { Malformed } from './errors.js';

const Ajv = AjvModule.default ?? AjvModule;
const addFormats = addFormatsModule.default ?? addFormatsModule;

function newAjv(coerceTypes: boolean) {
  const ajv = new Ajv({ allErrors: true, strict: false, coerceTypes, useDefaults: true });
  addFormats(ajv);
  ajv.addFormat('redirect-uri', { type: 'string', validate: isValidRedirectUri });
  return ajv;
}

const bodies = newAjv(false);
// Query and path values arrive as strings: numbers and booleans there are coerced before checking.
const strings = newAjv(true);

export const BODY_LIMIT = '64kb';

type EntryType = InvalidEntry['entry_type'];

export const INVALID_ENTRY_TYPES: readonly EntryType[] = ['json_data_property', 'query_parameter', 'path_parameter'];

export function toEntries(errors: ErrorObject[] | null | undefined, entryType: EntryType): InvalidEntry[] {
  const byEntry = new Map<string, InvalidEntry>();
  for (const e of errors ?? []) {
    let path = e.instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
    if (e.keyword === 'required') path = [...path, (e.params as { missingProperty: string }).missingProperty];
    if (e.keyword === 'additionalProperties') path = [...path, (e.params as { additionalProperty: string }).additionalProperty];
    const entry = '$' + path.map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`)).join('');
    let item = byEntry.get(entry);
    if (!item) byEntry.set(entry, (item = { entry, entry_type: entryType, rules: [] }));
    const description = e.keyword === 'additionalProperties' ? 'is not a property this route takes'
      : e.keyword === 'required' ? 'required property is missing' : e.message ?? 'is invalid';
    item.rules.push({ rule: e.keyword, description, params: e.params });
  }
  return [...byEntry.values()];
}

export function compileBody(schema: Schema): ValidateFunction {
  return bodies.compile(schema);
}

export function compileStrings(schema: Schema): ValidateFunction {
  return strings.compile(schema);
}

/** Reads a JSON body: 415 for another media type, 413 over 64 KiB, 400 request_malformed when unparseable. */
export async function readJson(ctx: Context): Promise<unknown> {
  if (!ctx.request.length && !ctx.get('transfer-encoding')) return {};
  if (!ctx.is('application/json', '+json')) ctx.throw(415, 'expected Content-Type: application/json');
  try {
    return await parse.json(ctx, { limit: BODY_LIMIT, strict: true });
  } catch (err) {
    const status = (err as { status?: number }).status;
    if (status === 413 || status === 415) throw err;
    throw new Malformed('the body is not valid JSON');
  }
}

/** Parses and validates the JSON body; the valid body is left in ctx.state.body. */
export function validateBody(schema: Schema) {
  const check = compileBody(schema);
  return async (ctx: Context, next: Next) => {
    const body = await readJson(ctx);
    if (!check(body)) throw new Invalid(toEntries(check.errors, 'json_data_property'));
    ctx.state.body = body;
    await next();
  };
}

/** Validates the query string (a copy, coerced to the schema's types) into ctx.state.query. */
export function validateQuery(schema: Schema) {
  const check = compileStrings(schema);
  return async (ctx: Context, next: Next) => {
    const query: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(ctx.query)) query[k] = v;
    if (!check(query)) throw new Invalid(toEntries(check.errors, 'query_parameter'));
    ctx.state.query = query;
    await next();
  };
}

/** Validates path parameters into ctx.state.params. */
export function validateParams(schema: Schema) {
  const check = compileStrings(schema);
  return async (ctx: Context, next: Next) => {
    const params = { ...(ctx as unknown as { params: Record<string, string> }).params };
    if (!check(params)) throw new Invalid(toEntries(check.errors, 'path_parameter'));
    ctx.state.params = params;
    await next();
  };
}
