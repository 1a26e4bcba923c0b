// CONTRACT §4: absolute URL, https, or http on a loopback host only; no fragment; at most 2048 characters.
export const REDIRECT_URI_MAX_LENGTH = 2048;

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

export function redirectUriProblem(value: string): string | null {
  if (value.length > REDIRECT_URI_MAX_LENGTH) return `must be at most ${REDIRECT_URI_MAX_LENGTH} characters`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'must be an absolute URL';
  }
  if (value.includes('#')) return 'must not contain a fragment';
  if (/\s/.test(value)) return 'must not contain whitespace';
  if (url.username || url.password) return 'must not carry credentials';
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:') return LOOPBACK.test(url.hostname) ? null : 'http is allowed on a loopback host only';
  return 'must use https (or http on a loopback host)';
}

export function isValidRedirectUri(value: string): boolean {
  return redirectUriProblem(value) === null;
}
