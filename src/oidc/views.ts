// Server-rendered pages: nunjucks with autoescape on, so user data is always shown as text.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import nunjucks from 'nunjucks';

const VIEWS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../views');

export const views = new nunjucks.Environment(new nunjucks.FileSystemLoader(VIEWS, { noCache: false }), {
  autoescape: true,
  throwOnUndefined: false,
});

export function render(template: string, context: Record<string, unknown> = {}): string {
  return views.render(template, context);
}

export function renderErrorPage(out: Record<string, string>): string {
  return render('error.njk', { error: out.error, description: out.error_description });
}
