// Rendering a console page with what every page needs: who is signed in, what they may do, a CSRF token, and what
// the last form post said once (flash.ts); paging of its lists.
import type { Context } from 'koa';
import { pageSecurityHeaders, render } from '../http/pages.js';
import type { FlashCookie } from './flash.js';
import { csrfTokens, may, type SignedIn } from './session.js';

export function page(ctx: Context, template: string, vars: Record<string, unknown> = {}, status = 200): void {
  const state = ctx.state.console as SignedIn | undefined;
  const flash = (ctx.state.flash as FlashCookie | undefined)?.take(ctx);
  ctx.set(pageSecurityHeaders());
  ctx.status = status;
  ctx.type = 'html';
  ctx.body = render(`console/${template}`, {
    ...vars,
    flash,
    me: state?.user,
    can: (...scopes: string[]) => may(ctx, ...scopes),
    csrf: state ? csrfTokens.create(state.csrfSecret) : '',
    path: ctx.path,
  });
}

export interface Paged {
  page: number;
  pageSize: number;
}

export const PAGE_SIZE = 20;

export function pageParam(ctx: Context): Paged {
  const raw = ctx.query.page;
  const n = typeof raw === 'string' && /^\d{1,7}$/.test(raw) ? Number(raw) : 1;
  return { page: n >= 1 ? n : 1, pageSize: PAGE_SIZE };
}

/** Links to the previous and next page that keep the current filters. */
export function pager(ctx: Context, { page: current, pageSize }: Paged, total: number) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const link = (n: number) => {
    const q = new URLSearchParams(ctx.querystring);
    q.set('page', String(n));
    return `${ctx.path}?${q}`;
  };
  return { page: current, pages, total, prev: current > 1 ? link(current - 1) : null, next: current < pages ? link(current + 1) : null };
}
