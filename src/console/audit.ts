// The audit log page (CONTRACT §7) with the filters of GET /api/audit_events (CONTRACT §4).
import Router from '@koa/router';
import type { EntityManager } from 'typeorm';
import { listAuditEvents } from '../domain/audit.js';
import { findUser } from '../domain/users.js';
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
    // Who a user actor is, in words; a deleted or blocked user stays an id.
    const userIds = [...new Set(items.filter((e) => e.actor_type === 'user' && e.actor_id).map((e) => e.actor_id!))];
    const users = new Map((await Promise.all(userIds.map((id) => findUser(manager, id)))).filter((u) => u !== null).map((u) => [u.id, u.email]));
    const events = items.map((e) => ({
      ...e,
      when: new Date(e.inserted_at).toISOString().replace('T', ' ').slice(0, 19),
      actor_email: e.actor_id ? users.get(e.actor_id) : undefined,
      details: Object.entries(e.details ?? {}).map(([key, value]) => ({ key, value: typeof value === 'string' ? value : JSON.stringify(value) })),
    }));
    page(ctx, 'audit.njk', { title: 'Audit log', section: 'audit', events, filter, paging: pager(ctx, paged, total) });
  });
  return router;
}
