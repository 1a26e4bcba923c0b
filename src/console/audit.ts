// The audit log page (CONTRACT §7) with the filters of GET /api/audit_events (CONTRACT §4).
import Router from '@koa/router';
import type { EntityManager } from 'typeorm';
import { listAuditEvents } from '../domain/audit.js';
import { need, page, pageParam, pager, text } from './web.js';

const FILTERS = ['target_id', 'actor_id', 'action'] as const;

export function auditPages(manager: EntityManager): Router {
  const router = new Router();
  router.get('/audit', need('audit:read'), async (ctx) => {
    const filter: Partial<Record<(typeof FILTERS)[number], string>> = {};
    for (const name of FILTERS) {
      const value = text(ctx.query[name]).slice(0, 200);
      if (value) filter[name] = value;
    }
    const paged = pageParam(ctx);
    let { items, total } = await listAuditEvents(manager, filter, paged.page, paged.pageSize);
    // The log is kept oldest first (CONTRACT §4); without a page asked for, show the latest events.
    const last = Math.max(1, Math.ceil(total / paged.pageSize));
    if (ctx.query.page === undefined && last > 1) {
      paged.page = last;
      ({ items, total } = await listAuditEvents(manager, filter, last, paged.pageSize));
    }
    page(ctx, 'audit.njk', {
      title: 'Audit log', section: 'audit', events: items, filter, paging: pager(ctx, paged, total),
    });
  });
  return router;
}
