// Checking values against the shared JSON Schemas with ajv, and turning its errors into the contract's `invalid`
// entries (CONTRACT §4). Every door (API, console, internal listener, CLI) validates through here.
import AjvModule, { type ErrorObject, type Schema, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { InvalidEntry } from '../domain/errors.js';
import { isValidRedirectUri, redirectUriProblem } from '../domain/redirectUri.js';

const Ajv = AjvModule.default ?? AjvModule;
const addFormats = addFormatsModule.default ?? addFormatsModule;

// verbose: errors carry the value, so a redirect URI's problem can be named (it is never echoed back).
const ajv = new Ajv({ allErrors: true, strict: false, useDefaults: true, verbose: true });
addFormats(ajv);
ajv.addFormat('redirect-uri', { type: 'string', validate: isValidRedirectUri });
// Canonical base64 (RFC 4648 §4, padded, no line breaks). Not ajv-formats' `byte`: its regex overflows the stack on
// a print job's 14 MB document; decoding and encoding again is linear and takes ~30 ms for 10 MiB.
ajv.addFormat('base64', { type: 'string', validate: (s: string) => s.length % 4 === 0 && Buffer.from(s, 'base64').toString('base64') === s });

export type EntryType = InvalidEntry['entry_type'];

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
      : e.keyword === 'required' ? 'required property is missing'
        : e.keyword === 'format' && (e.params as { format?: string }).format === 'redirect-uri' && typeof e.data === 'string'
          ? redirectUriProblem(e.data) ?? e.message ?? 'is invalid'
          : e.message ?? 'is invalid';
    item.rules.push({ rule: e.keyword, description, params: e.params });
  }
  return [...byEntry.values()];
}

/** A validator for JSON values (request bodies, CLI input): no type coercion. */
export function compileBody(schema: Schema): ValidateFunction {
  return ajv.compile(schema);
}

interface StringsSchema {
  properties?: Record<string, { type?: string | string[] }>;
}

const INTEGER = /^-?(0|[1-9]\d{0,15})$/;

/**
 * A validator for values that arrive as strings (query and path parameters): a property whose schema is an integer
 * or a boolean is converted first, but only from its plain written form (`12`, `true`); `0x1`, `1e2` or ` 1` stay
 * strings and fail the type check. Returns the converted copy (a null-prototype object, so a parameter named
 * `__proto__` is just an unknown parameter) and the validator that checked it.
 */
export function compileStrings(schema: Schema) {
  const check = ajv.compile(schema);
  const types = new Map(Object.entries((schema as StringsSchema).properties ?? {}).map(([k, v]) => [k, [v.type ?? []].flat()]));
  return (input: Record<string, unknown>): { value: Record<string, unknown>; valid: boolean; errors: ErrorObject[] | null | undefined } => {
    const value: Record<string, unknown> = Object.create(null);
    for (const [key, raw] of Object.entries(input)) {
      const type = types.get(key) ?? [];
      let converted: unknown = raw;
      if (typeof raw === 'string') {
        if (type.includes('integer') && INTEGER.test(raw)) converted = Number(raw);
        else if (type.includes('boolean') && (raw === 'true' || raw === 'false')) converted = raw === 'true';
      }
      value[key] = converted;
    }
    const valid = check(value);
    return { value, valid, errors: check.errors };
  };
}
