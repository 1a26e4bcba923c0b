// The input gates (CONTRACT §3 "Hostile text"): every kind of input is decoded and checked in one place before any
// route sees it, so NUL bytes, lone UTF-16 surrogates, JSON nested deeper than 32 levels and malformed
// percent-encoding get a 4xx of the endpoint's kind and never reach PostgreSQL (which refuses NUL in text and lone
// surrogates in jsonb) or a recursive walk. One function per kind: URL, form body, JSON body, credentials, cookies.

export class HostileInput extends Error {
  readonly status = 400;
  readonly expose = true;
}

export const MAX_JSON_DEPTH = 32;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** Why a decoded text may not go further, or null. */
export function textProblem(text: string): string | null {
  if (text.includes('\u0000')) return 'contains a NUL byte';
  if (LONE_SURROGATE.test(text)) return 'contains a lone UTF-16 surrogate';
  return null;
}

function checkText(text: string, where: string): string {
  const problem = textProblem(text);
  if (problem) throw new HostileInput(`${where} ${problem}`);
  return text;
}

/** decodeURIComponent that refuses malformed percent-encoding (and so invalid UTF-8) instead of guessing. */
function decode(component: string, where: string, plusIsSpace: boolean): string {
  try {
    return checkText(decodeURIComponent(plusIsSpace ? component.replace(/\+/g, ' ') : component), where);
  } catch (err) {
    if (err instanceof HostileInput) throw err;
    throw new HostileInput(`${where} has malformed percent-encoding`);
  }
}

/** `key=value&…` (a query string or a form body) as a null-prototype object; a repeated key becomes a list. */
export function parseForm(text: string, where = 'the form'): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = Object.create(null);
  for (const pair of text.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const key = decode(eq === -1 ? pair : pair.slice(0, eq), where, true);
    const value = eq === -1 ? '' : decode(pair.slice(eq + 1), where, true);
    const seen = out[key];
    out[key] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  return out;
}

/**
 * Form-encoded text (a query string, a form body) decodes cleanly as a whole: a malformed sequence is malformed
 * wherever it stands, and NUL or a lone surrogate is hostile in a key as in a value. One decode, no parsing.
 */
export function checkFormText(text: string, where: string): void {
  if (text.includes('%') || text.includes('\u0000')) decode(text, where, true);
}

/** A request target: every path segment and query parameter must decode cleanly. */
export function checkUrl(url: string): void {
  if (!url.includes('%')) return; // nothing is encoded (the HTTP parser refuses raw control characters)
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);
  decode(path, 'the path', false);
  if (q !== -1) checkFormText(url.slice(q + 1), 'the query string');
}

/** Bytes of a body as UTF-8 text; invalid UTF-8 is hostile. */
export function bodyText(bytes: Buffer): string {
  try {
    return checkText(new TextDecoder('utf-8', { fatal: true }).decode(bytes), 'the body');
  } catch (err) {
    if (err instanceof HostileInput) throw err;
    throw new HostileInput('the body is not valid UTF-8');
  }
}

/** How deep `text`'s arrays and objects nest (strings skipped), counted without parsing it. */
function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 || c === 91) max = Math.max(max, ++depth);
    else if (c === 125 || c === 93) depth--;
  }
  return max;
}

export class MalformedJson extends Error {}

/** A JSON body: too deep or holding hostile text → HostileInput; unparseable → MalformedJson. */
export function parseJson(text: string): unknown {
  if (jsonDepth(text) > MAX_JSON_DEPTH) throw new HostileInput(`the JSON nests deeper than ${MAX_JSON_DEPTH} levels`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new MalformedJson('the body is not valid JSON');
  }
  const walk = (v: unknown): void => {
    if (typeof v === 'string') checkText(v, 'a JSON string');
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      for (const [k, x] of Object.entries(v)) {
        checkText(k, 'a JSON key');
        walk(x);
      }
    }
  };
  walk(value);
  return value;
}

/** Basic credentials (RFC 6749 §2.3.1: both parts form-urlencoded) must decode to clean text. */
export function checkAuthorization(header: string | undefined): void {
  if (!header || !/^basic /i.test(header)) return;
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  checkText(decoded, 'the Basic credentials');
  const colon = decoded.indexOf(':');
  decode(colon === -1 ? decoded : decoded.slice(0, colon), 'the Basic credentials', true);
  if (colon !== -1) decode(decoded.slice(colon + 1), 'the Basic credentials', true);
}

/** Gatehouse's and oidc-provider's own cookies: what the database is asked about (sessions, interactions). */
const OWN_COOKIE = /^(_session|_interaction|gatehouse_)/;

/** Our cookie values must decode to clean text; other applications' cookies on the same host are not ours to judge. */
export function checkCookies(header: string | undefined): void {
  if (!header) return;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && OWN_COOKIE.test(part.slice(0, eq).trim())) decode(part.slice(eq + 1).trim(), 'a cookie', false);
  }
}
