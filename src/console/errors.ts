// Console errors as pages: a clear 403 for a missing scope or a bad CSRF token, 404 for unknown things, 422 for a
// request no form could have sent.
import type { Context, Next } from 'koa';
import { Forbidden, Invalid, NotFound } from '../domain/errors.js';
import { CsrfRejected, fieldOf } from './forms.js';
import { page } from './render.js';
import { MissingScope } from './session.js';

export async function consoleErrors(ctx: Context, next: Next): Promise<void> {
  try {
    await next();
  } catch (err) {
    if (err instanceof MissingScope) {
      return page(ctx, 'forbidden.njk', { title: 'Not allowed', scopes: err.scopes }, 403);
    }
    if (err instanceof CsrfRejected) {
      return page(ctx, 'message.njk', {
        title: 'Form expired', heading: 'This form could not be accepted',
        message: 'It was not sent from your current console session (the security token is missing or does not match). Go back, reload the page and try again.',
      }, 403);
    }
    if (err instanceof Forbidden) return page(ctx, 'message.njk', { title: 'Not allowed', heading: 'Not allowed', message: err.message }, 403);
    if (err instanceof NotFound) {
      return page(ctx, 'message.njk', { title: 'Not found', heading: 'Not found', message: 'There is nothing here: it may have been deleted.' }, 404);
    }
    if (err instanceof Invalid) {
      const messages = err.entries.flatMap((e) => e.rules.map((r) => `${fieldOf(e.entry)}: ${r.description}`));
      return page(ctx, 'message.njk', { title: 'Invalid request', heading: 'This request could not be accepted', messages }, 422);
    }
    throw err;
  }
}
