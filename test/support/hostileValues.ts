// fast-check arbitraries for hostile-input runs: valid values built from JSON Schemas (the ones /api/openapi.json
// publishes, or src/schemas' for /internal), then corrupted: wrong types, extra fields, `__proto__`, huge strings,
// NUL, lone surrogates, nesting deeper than 32, malformed percent-encoding. Each corruption says whether it is
// hostile text (CONTRACT §3: must be refused with a 4xx) or merely wrong (any answer but a 5xx).
import fc from 'fast-check';

/** Text that the input gates must refuse, as a JavaScript string (JSON bodies escape it). */
export const HOSTILE_STRINGS: ReadonlyArray<readonly [string, string]> = [
  ['\u0000', 'NUL'], ['a\u0000b', 'NUL'], ['name\u0000.pdf', 'NUL'],
  ['\ud800', 'lone surrogate'], ['x\udfffy', 'lone surrogate'], ['\udc00\ud800', 'lone surrogate'], ['😀\ud83d', 'lone surrogate'],
];

/** URL or form components the gates must refuse, as they go on the wire. */
export const HOSTILE_COMPONENTS: ReadonlyArray<readonly [string, string]> = [
  ['%00', 'NUL'], ['a%00b', 'NUL'], ['%ED%A0%80', 'lone surrogate'], ['%ED%BF%BF', 'lone surrogate'],
  ['%zz', 'malformed percent-encoding'], ['%', 'malformed percent-encoding'], ['abc%', 'malformed percent-encoding'],
  ['%0', 'malformed percent-encoding'], ['%C0%80', 'malformed percent-encoding'], ['%FF', 'malformed percent-encoding'],
  ['%E2%82', 'malformed percent-encoding'], ['%u0000', 'malformed percent-encoding'], ['%%30%30', 'malformed percent-encoding'],
];

/** Raw bytes that are not UTF-8 (a lone surrogate's encoding, an overlong NUL, 0xFF) or a literal NUL. */
export const HOSTILE_BYTES: ReadonlyArray<readonly [number[], string]> = [
  [[0xed, 0xa0, 0x80], 'lone surrogate bytes'], [[0xc0, 0x80], 'overlong NUL'], [[0xff, 0xfe], 'invalid UTF-8'], [[0x00], 'NUL byte'],
];

/** Clean but unwelcome text: injection attempts, odd Unicode, numbers as text. */
export const NASTY_STRINGS = [
  '', ' ', "' OR 1=1 --", '"; DROP TABLE clients; --', '../../etc/passwd', '<script>alert(1)</script>', '{{7*7}}', '${7*7}',
  '\u202eevil', '\ufeff', '😀', 'Ⅻ', 'İ', '\r\n', '\t', 'null', 'true', '[]', '{}', '-1', '0x1', '1e309', 'NaN', '%', '%25',
  'a'.repeat(300), 'constructor', '__proto__', 'prototype', 'toString', 'hasOwnProperty',
];

export const hostileString = fc.constantFrom(...HOSTILE_STRINGS);
export const hostileComponent = fc.constantFrom(...HOSTILE_COMPONENTS);

const clean = (s: string) => !s.includes('\u0000');
export const nastyString = fc.oneof(
  fc.constantFrom(...NASTY_STRINGS),
  fc.string({ unit: 'grapheme', maxLength: 40 }).filter(clean),
  fc.string({ unit: 'grapheme-ascii', maxLength: 20 }).filter(clean),
);

/** Names of schema properties with real values the run knows (ids of victims, catalog permissions). */
export type Pools = Record<string, readonly string[]>;

interface Schema {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  items?: Schema;
  maxItems?: number;
  uniqueItems?: boolean;
  properties?: Record<string, Schema>;
  required?: string[];
}

// RFC 3339 instants that ajv accepts, some of which JavaScript's Date does not (a leap second).
const INSTANTS = [
  '2024-01-01T00:00:00Z', '2024-06-30T23:59:60Z', '2016-12-31T23:59:60+00:00', '0000-01-01T00:00:00Z', '9999-12-31T23:59:59-23:59',
  '2024-01-01t00:00:00z', '2024-01-01 00:00:00Z', '2024-02-29T12:00:00.123456789+05:30',
];
const REDIRECT_URIS = ['https://app.example/cb', 'http://127.0.0.1:8080/cb', 'http://[::1]/cb', 'https://app.example/cb?x=1'];

/** A value that satisfies `schema` most of the time (the pools' values and edge cases may not). */
export function validValue(schema: Schema, pools: Pools, name = '', depth = 0): fc.Arbitrary<unknown> {
  const pool = [schema.type ?? []].flat().some((t) => t === 'array' || t === 'object') ? undefined : pools[name];
  const own = schemaValue(schema, pools, name, depth);
  return pool?.length ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...pool) }, { weight: 1, arbitrary: own }) : own;
}

function schemaValue(schema: Schema, pools: Pools, name: string, depth: number): fc.Arbitrary<unknown> {
  if (schema.enum) return fc.constantFrom(...schema.enum);
  if (schema.const !== undefined) return fc.constant(schema.const);
  const types = [schema.type ?? []].flat();
  if (types.length > 1) return fc.oneof(...types.map((type) => schemaValue({ ...schema, type }, pools, name, depth)));
  switch (types[0]) {
    case 'string': return stringValue(schema);
    case 'integer': return fc.integer({ min: schema.minimum ?? -1000, max: Math.min(schema.maximum ?? 1000, 1000) });
    case 'number': return fc.double({ noNaN: true, noDefaultInfinity: true });
    case 'boolean': return fc.boolean();
    case 'null': return fc.constant(null);
    case 'array': {
      const items = validValue(schema.items ?? {}, pools, name, depth + 1);
      const max = Math.min(schema.maxItems ?? 4, 4);
      return schema.uniqueItems ? fc.uniqueArray(items, { maxLength: max, selector: (v) => JSON.stringify(v) }) : fc.array(items, { maxLength: max });
    }
    case 'object': {
      const props = Object.fromEntries(Object.entries(schema.properties ?? {}).map(([k, s]) => [k, validValue(s, pools, k, depth + 1)]));
      return fc.record(props, { requiredKeys: (schema.required ?? []).filter((k) => k in props) as never });
    }
    default: return depth > 2 ? fc.constant(null) : fc.jsonValue({ maxDepth: 2 });
  }
}

// Building a regular expression's arbitrary costs tens of milliseconds: once per pattern and bounds.
const MATCHING = new Map<string, fc.Arbitrary<string>>();
function matching(pattern: string, min: number, max: number): fc.Arbitrary<string> {
  const key = `${pattern} ${min} ${max}`;
  let arbitrary = MATCHING.get(key);
  if (!arbitrary) MATCHING.set(key, (arbitrary = fc.stringMatching(new RegExp(pattern)).filter((s) => s.length >= min && s.length <= max)));
  return arbitrary;
}

function stringValue(schema: Schema): fc.Arbitrary<string> {
  const max = Math.min(schema.maxLength ?? 60, 60);
  const min = Math.min(schema.minLength ?? 0, max);
  if (schema.format === 'uuid') return fc.uuid();
  if (schema.format === 'date-time') return fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...INSTANTS) }, { weight: 1, arbitrary: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()) });
  if (schema.format === 'email') return fc.emailAddress();
  if (schema.format === 'redirect-uri') return fc.constantFrom(...REDIRECT_URIS);
  if (schema.pattern && schema.pattern !== '\\S') return matching(schema.pattern, min, schema.maxLength ?? Infinity);
  return fc.string({ unit: 'grapheme', minLength: Math.max(min, schema.pattern ? 1 : 0), maxLength: max })
    .filter((s) => clean(s) && (!schema.pattern || /\S/.test(s)));
}

/** A request body as sent, and whether it holds hostile text. */
export interface Body {
  body: string | Uint8Array;
  contentType: string;
  hostile: string | null;
}

type JsonObject = Record<string, unknown>;

const nested = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}`;

/** A JSON text with `raw` (already JSON) as the value of `key`, beside the fields of `value`. */
function withRawField(value: unknown, key: string, raw: string): string {
  const base = value && typeof value === 'object' && !Array.isArray(value) ? JSON.stringify(value) : '{}';
  return base === '{}' ? `{${JSON.stringify(key)}:${raw}}` : `${base.slice(0, -1)},${JSON.stringify(key)}:${raw}}`;
}

/** One corruption of a body built from `schema`. */
function corruption(schema: Schema): fc.Arbitrary<(v: unknown) => Body> {
  const own = Object.keys(schema.properties ?? {});
  const key = fc.constantFrom(...own, 'name', 'id', 'extra');
  // Hostile text goes into fields the route takes, mostly, so that the rest of the body can be valid.
  const field = own.length ? fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...own) }, { weight: 1, arbitrary: key }) : key;
  const json = (body: string, hostile: string | null = null): Body => ({ body, contentType: 'application/json', hostile });
  const set = (v: unknown, k: string, x: unknown): JsonObject => ({ ...(v && typeof v === 'object' && !Array.isArray(v) ? v as JsonObject : {}), [k]: x });
  return fc.oneof(
    // hostile text as a value, inside a list, as a key
    fc.tuple(field, hostileString).map(([k, [s, why]]) => (v: unknown) => json(JSON.stringify(set(v, k, s)), why)),
    fc.tuple(field, hostileString).map(([k, [s, why]]) => (v: unknown) => json(JSON.stringify(set(v, k, ['ok', s])), why)),
    hostileString.map(([s, why]) => (v: unknown) => json(JSON.stringify(set(v, `k${s}`, 1)), `${why} in a key`)),
    // the same as raw bytes inside a JSON string
    fc.tuple(field, fc.constantFrom(...HOSTILE_BYTES)).map(([k, [bytes, why]]) => (v: unknown) => {
      const [head, tail] = withRawField(v, k, '"\u0001"').split('\u0001');
      return { body: Buffer.concat([Buffer.from(head), Buffer.from(bytes), Buffer.from(tail)]), contentType: 'application/json', hostile: why };
    }),
    // nesting deeper than 32 levels, as a field and as the whole body
    fc.tuple(key, fc.integer({ min: 33, max: 5000 })).map(([k, d]) => (v: unknown) => json(withRawField(v, k, nested(d)), `nested ${d} deep`)),
    fc.integer({ min: 33, max: 5000 }).map((d) => () => json(`{"a":${nested(d)}}`, `nested ${d} deep`)),
    // wrong but clean: types, extra fields, __proto__, huge strings, other bodies
    fc.tuple(key, fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { maxLength: 3 }), fc.object({ maxDepth: 1 }), nastyString))
      .map(([k, x]) => (v: unknown) => json(JSON.stringify(set(v, k, x)))),
    fc.constantFrom('__proto__', 'constructor', 'prototype').map((k) => (v: unknown) => json(withRawField(v, k, '{"is_blocked":true,"admin":true}'))),
    fc.tuple(key, fc.integer({ min: 1000, max: 70_000 })).map(([k, n]) => (v: unknown) => json(JSON.stringify(set(v, k, 'x'.repeat(n))))),
    fc.constantFrom('[]', '[{}]', '1', '"x"', 'null', 'true', '{', '{"a":}', '{"a":1,}', '', ' ', '{"a":1}{"b":2}', "{'a':1}", '{"a":"\\x00"}', '{"a":"\\ud80"}')
      .map((raw) => () => json(raw)),
    fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1', 'multipart/form-data; boundary=x', '')
      .map((contentType) => (v: unknown) => ({ body: JSON.stringify(v), contentType, hostile: null })),
  );
}

/** A body from `schema`: valid about one time in six, otherwise one of one or two corruptions of it (a hostile one if any). */
export function jsonBody(schema: Schema, pools: Pools): fc.Arbitrary<Body> {
  const valid = validValue(schema, pools);
  return fc.tuple(valid, fc.array(corruption(schema), { minLength: 0, maxLength: 2 }), fc.nat(5)).map(([v, fixes, roll]) => {
    if (roll === 0 || !fixes.length) return { body: JSON.stringify(v), contentType: 'application/json', hostile: null };
    return fixes.map((f) => f(v)).reduce((a, b) => (b.hostile ? b : a.hostile ? a : b));
  });
}

/** A path or query component as it goes on the wire, and whether it is hostile. */
export interface Component {
  text: string;
  hostile: string | null;
}

const encoded = (value: unknown): Component => ({ text: encodeURIComponent(String(value)), hostile: null });

/** A path parameter: a known id, a schema value, clean junk, or hostile text. */
export function pathComponent(schema: Schema, pools: Pools, name: string): fc.Arbitrary<Component> {
  return fc.oneof(
    { weight: 6, arbitrary: validValue(schema, pools, name).map(encoded) },
    { weight: 2, arbitrary: nastyString.filter((s) => s !== '' && s !== '.' && s !== '..').map(encoded) },
    { weight: 1, arbitrary: fc.constantFrom('a'.repeat(5000), 'A0EEBC99-9C0B-4EF8-BB6D-6BB9BD380A11', '{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}', '%2F', '%2e%2e').map((text) => ({ text, hostile: null })) },
    { weight: 3, arbitrary: fc.tuple(fc.constantFrom('', 'abc'), hostileComponent).map(([pre, [c, why]]) => ({ text: pre + c, hostile: why })) },
  );
}

/** A query string from `schema`'s properties, then perhaps corrupted: unknown, repeated, odd or hostile parameters. */
export function queryString(schema: Schema, pools: Pools): fc.Arbitrary<Component> {
  const props = schema.properties ?? {};
  const known = Object.keys(props);
  const param = (k: string) => validValue(props[k], pools, k).map((v) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`);
  const valid = known.length ? fc.subarray(known).chain((ks) => (ks.length ? fc.tuple(...ks.map(param)) : fc.constant([] as string[]))) : fc.constant([] as string[]);
  const anyKey = fc.constantFrom(...known, 'zzz', '__proto__', 'constructor', 'page', 'page_size', 'a[b]', 'a.b');
  const extra: fc.Arbitrary<Component> = fc.oneof(
    fc.tuple(anyKey, nastyString).map(([k, v]) => ({ text: `${encodeURIComponent(k)}=${encodeURIComponent(v)}`, hostile: null })),
    fc.tuple(anyKey, fc.constantFrom('0x1', '1e2', ' 1', '+1', '01', '-0', '1.0', '9'.repeat(25), '', 'true', 'TRUE', '1', '0', '-1'))
      .map(([k, v]) => ({ text: `${encodeURIComponent(k)}=${encodeURIComponent(v)}`, hostile: null })),
    fc.tuple(anyKey, hostileComponent).map(([k, [c, why]]) => ({ text: `${encodeURIComponent(k)}=${c}`, hostile: why })),
    hostileComponent.map(([c, why]) => ({ text: `${c}=1`, hostile: why })),
    fc.constantFrom('&&', '=', '==', 'a', 'a=1=2', '%20=1').map((text) => ({ text, hostile: null })),
  );
  return fc.tuple(valid, fc.array(extra, { maxLength: 2 }), fc.nat(3)).map(([pairs, extras, roll]) => {
    const used = roll === 0 ? [] : extras;
    const text = [...pairs, ...used.map((e) => e.text)].join('&');
    return { text: text ? `?${text}` : '', hostile: used.find((e) => e.hostile)?.hostile ?? null };
  });
}

/** An urlencoded form from named field arbitraries, then perhaps corrupted like a query string or with raw bytes. */
export function formBody(fields: Record<string, fc.Arbitrary<string>>): fc.Arbitrary<Body> {
  const names = Object.keys(fields);
  const base = fc.record(fields, { requiredKeys: [] }).map((f) => Object.entries(f).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v as string)}`));
  const key = fc.constantFrom(...names, 'zzz', '__proto__');
  const extra: fc.Arbitrary<Component | { bytes: number[]; hostile: string }> = fc.oneof(
    fc.tuple(key, hostileComponent).map(([k, [c, why]]) => ({ text: `${k}=${c}`, hostile: why })),
    hostileComponent.map(([c, why]) => ({ text: `${c}=x`, hostile: why })),
    fc.tuple(key, nastyString).map(([k, v]) => ({ text: `${k}=${encodeURIComponent(v)}`, hostile: null })),
    fc.tuple(key, fc.integer({ min: 1000, max: 70_000 })).map(([k, n]) => ({ text: `${k}=${'x'.repeat(n)}`, hostile: null })),
    fc.constantFrom(...HOSTILE_BYTES).map(([bytes, why]) => ({ bytes, hostile: why })),
  );
  return fc.tuple(base, fc.array(extra, { maxLength: 2 }), fc.nat(3), fc.constantFrom('application/x-www-form-urlencoded', 'application/x-www-form-urlencoded', 'application/json', 'text/plain'))
    .map(([pairs, extras, roll, contentType]) => {
      const used = roll === 0 ? [] : extras;
      const texts = [...pairs, ...used.filter((e): e is Component => 'text' in e).map((e) => e.text)];
      const raw = used.find((e): e is { bytes: number[]; hostile: string } => 'bytes' in e);
      const text = texts.join('&');
      const body = raw ? Buffer.concat([Buffer.from(`${text}&x=`), Buffer.from(raw.bytes)]) : text;
      return { body, contentType, hostile: used.find((e) => e.hostile)?.hostile ?? null };
    });
}
