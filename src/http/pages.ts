// Server-rendered pages (CONTRACT §3 "Pages"): nunjucks with autoescape on, so user data is always shown as text,
// and the headers every page sends: a Content-Security-Policy that loads nothing from another origin and forbids
// framing (frame-ancestors 'none'), and no caching.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context } from 'koa';
import nunjucks from 'nunjucks';
import { type Locale, chooseLocale, otherLocale, translator, withLocale } from './i18n.js';

const VIEWS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../views');

export const views = new nunjucks.Environment(new nunjucks.FileSystemLoader(VIEWS, { noCache: false }), {
  autoescape: true,
  throwOnUndefined: false,
});

/** An end-user page's language (CONTRACT §11) and the address of this same page, for the other language's link. */
export interface PageLanguage {
  locale: Locale;
  /** A GET address that shows the page the user is on; the switch link is it with the other `ui_locales`. */
  here?: string;
}

const DEFAULT_LOCALE_KEY = 'gatehouseDefaultLocale';

/** Remembers DEFAULT_LOCALE on every request (app.ts installs it on both Koa apps), for the pages to fall back on. */
export function defaultLocaleOf(locale: Locale) {
  return async (ctx: { state: Record<string, unknown> }, next: () => Promise<unknown>) => {
    ctx.state[DEFAULT_LOCALE_KEY] = locale;
    await next();
  };
}

/**
 * The language of the page this request shows: `uiLocales` (the authorization or logout request's parameter, when
 * the page belongs to one) or this request's own `ui_locales`, then Accept-Language, then DEFAULT_LOCALE.
 */
export function pageLanguage(
  ctx: { query?: Record<string, unknown>; state?: Record<string, unknown>; get(name: string): string; method: string; originalUrl: string },
  options: { uiLocales?: unknown; here?: string } = {},
): PageLanguage {
  const own = ctx.query?.ui_locales;
  const fallback = (ctx.state?.[DEFAULT_LOCALE_KEY] as Locale | undefined) ?? 'uk';
  const locale = chooseLocale(typeof own === 'string' && own ? own : options.uiLocales, ctx.get('accept-language') || undefined, fallback);
  return { locale, here: options.here ?? (ctx.method === 'GET' ? ctx.originalUrl : undefined) };
}

/** Renders a template; end-user pages get `t` (the catalogue of their language), `locale` and the switch link. */
export function render(template: string, context: Record<string, unknown> = {}, language?: PageLanguage): string {
  if (!language) return views.render(template, context);
  const other = otherLocale(language.locale);
  return views.render(template, {
    ...context,
    t: translator(language.locale),
    locale: language.locale,
    otherLocale: other,
    otherLocaleName: translator(other)('language.name'),
    switchHref: language.here ? withLocale(language.here, other) : undefined,
  });
}

/**
 * The security headers of a page. `formAction` adds origins a form on it may lead to: a form post that ends in a
 * redirect to a relying party is subject to form-action in browsers that enforce it on redirects.
 */
export function pageSecurityHeaders(formAction: string[] = []): Record<string, string> {
  const csp = [
    "default-src 'self'", "script-src 'self'", "style-src 'self'", "img-src 'self' data:", "font-src 'self'",
    "connect-src 'self'", `form-action 'self'${formAction.map((o) => ` ${o}`).join('')}`, "frame-ancestors 'none'",
    "base-uri 'none'", "object-src 'none'",
  ].join('; ');
  return {
    'content-security-policy': csp,
    'x-frame-options': 'DENY',
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'cache-control': 'no-store',
  };
}

/** Sends a page with its security headers. */
export function sendPage(
  ctx: Context, template: string, vars: Record<string, unknown>, status = 200,
  options: { formAction?: string[]; language?: PageLanguage } = {},
): void {
  ctx.set(pageSecurityHeaders(options.formAction));
  ctx.status = status;
  ctx.type = 'html';
  ctx.body = render(template, vars, options.language ?? pageLanguage(ctx));
}

/**
 * The error page in the user's language. The error code stays as the protocol names it; its description is
 * translated when the catalogue knows it (`errors.described.<description as a key>`), else shown as sent.
 */
export function renderErrorPage(out: { error?: string; error_description?: string }, language: PageLanguage): string {
  const t = translator(language.locale);
  const key = (out.error_description ?? '').toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '');
  const description = key ? t(`errors.described.${key}`, { defaultValue: out.error_description }) : undefined;
  return render('error.njk', { error: out.error, description }, language);
}
