// Form posts on Gatehouse's own pages (login, second factor, consent, password setup, /account, console) come from
// Gatehouse's own pages: a post that a browser says came from another site is refused before any form is read
// (login CSRF on /account's sign-in, which has no session to carry a token yet; the other forms' tokens are a
// second line). Browsers say it with Sec-Fetch-Site (Fetch Metadata) and Origin; clients that send neither, such as
// scripts and tests, are not browsers that another site can drive. Origin "null" is what our own pages' Referrer-Policy
// no-referrer makes a browser send (Fetch §3.1 "serializing a request origin"), so it proves nothing either way.
import type { Context, Next } from 'koa';
import { requestFacts } from './front.js';

const PAGE_FORMS = /^\/(interaction|account|password|console)(\/|$)/;

export function sameOriginForms(issuer: string) {
  const own = new URL(issuer).origin;
  return async (ctx: Context, next: Next) => {
    if (ctx.method === 'POST' && PAGE_FORMS.test(ctx.path)) {
      // Fetch Metadata, where the browser sends it, decides; else Origin, which may name ISSUER's origin or the one
      // the browser addressed (a page opened on another name of this server posts to that name).
      const site = ctx.get('sec-fetch-site');
      const origin = ctx.get('origin');
      const crossSite = site
        ? site === 'cross-site' || site === 'same-site'
        : !!origin && origin !== 'null' && origin !== own && origin !== requestFacts(ctx.req).origin;
      if (crossSite) {
        ctx.throw(403, 'this form was sent from another site; open the page here and send it again');
      }
    }
    await next();
  };
}
