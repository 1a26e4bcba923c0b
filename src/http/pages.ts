// Server-rendered pages (CONTRACT §3 "Pages"): nunjucks with autoescape on, so user data is always shown as text,
// and the headers every page sends: a Content-Security-Policy that loads nothing from another origin and forbids
// framing (frame-ancestors 'none'), and no caching.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context } from 'koa';
import nunjucks from 'nunjucks';

const VIEWS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../views');

export const views = new nunjucks.Environment(new nunjucks.FileSystemLoader(VIEWS, { noCache: false }), {
  autoescape: true,
  throwOnUndefined: false,
});

export function render(template: string, context: Record<string, unknown> = {}): string {
  return views.render(template, context);
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
  ctx: Context, template: string, vars: Record<string, unknown>, status = 200, options: { formAction?: string[] } = {},
): void {
  ctx.set(pageSecurityHeaders(options.formAction));
  ctx.status = status;
  ctx.type = 'html';
  ctx.body = render(template, vars);
}

export function renderErrorPage(out: { error?: string; error_description?: string }): string {
  return render('error.njk', { title: 'Error', error: out.error, description: out.error_description });
}
