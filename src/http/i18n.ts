// The languages of end-user pages (CONTRACT §11): Ukrainian and English message catalogues (locales/*.json) served
// by i18next, and the one rule that picks a page's language: the `ui_locales` request parameter (OpenID Connect
// Core §3.1.2.1, space-separated tags in order of preference), then Accept-Language (RFC 9110 §12.5.4, negotiated
// by `negotiator`), then DEFAULT_LOCALE. Templates never hold words, only catalogue keys through `t`.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import i18next, { type TFunction } from 'i18next';
import Negotiator from 'negotiator';

export const LOCALES = ['uk', 'en'] as const;
export type Locale = (typeof LOCALES)[number];

const CATALOGUES = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../locales');

function catalogue(locale: Locale): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(CATALOGUES, `${locale}.json`), 'utf8')) as Record<string, unknown>;
}

const i18n = i18next.createInstance();
void i18n.init({
  resources: Object.fromEntries(LOCALES.map((l) => [l, { translation: catalogue(l) }])),
  lng: 'uk',
  supportedLngs: [...LOCALES],
  fallbackLng: 'en',
  initAsync: false,
  // nunjucks escapes what a template prints; escaping here too would show &amp; to the user.
  interpolation: { escapeValue: false },
  returnNull: false,
});

export function isLocale(value: unknown): value is Locale {
  return typeof value === 'string' && (LOCALES as readonly string[]).includes(value);
}

/** The first tag of `ui_locales` whose language Gatehouse speaks (`uk-UA` → `uk`), or null. */
export function fromUiLocales(uiLocales: unknown): Locale | null {
  if (typeof uiLocales !== 'string') return null;
  for (const tag of uiLocales.trim().split(/\s+/)) {
    const language = tag.split('-')[0].toLowerCase();
    if (isLocale(language)) return language;
  }
  return null;
}

/** The page language: ui_locales, then Accept-Language, then the configured default (CONTRACT §11). */
export function chooseLocale(uiLocales: unknown, acceptLanguage: string | undefined, fallback: Locale): Locale {
  const asked = fromUiLocales(uiLocales);
  if (asked) return asked;
  // `*` (what fetch sends by default) states no preference: the configured default answers it.
  const stated = (acceptLanguage ?? '').split(',').filter((range) => !['*', ''].includes(range.split(';')[0].trim())).join(',');
  if (stated) {
    const best = new Negotiator({ headers: { 'accept-language': stated } }).language([...LOCALES]);
    if (isLocale(best)) return best;
  }
  return fallback;
}

export function translator(locale: Locale): TFunction {
  return i18n.getFixedT(locale);
}

export function otherLocale(locale: Locale): Locale {
  return locale === 'uk' ? 'en' : 'uk';
}

/** The same address with `ui_locales` set to `locale`: the link to the other language keeps the user's place. */
export function withLocale(url: string, locale: Locale): string {
  const u = new URL(url, 'http://gatehouse.invalid');
  u.searchParams.set('ui_locales', locale);
  return `${u.pathname}${u.search}`;
}

/** Every key of a catalogue, dotted (for the test that both languages say everything). */
export function catalogueKeys(locale: Locale): string[] {
  const keys: string[] = [];
  const walk = (node: unknown, prefix: string) => {
    if (node && typeof node === 'object') for (const [k, v] of Object.entries(node)) walk(v, prefix ? `${prefix}.${k}` : k);
    else keys.push(prefix);
  };
  walk(catalogue(locale), '');
  return keys.sort();
}
