// The audit log page (CONTRACT §7): newest first, filtered by time, action, actor and target, with the domain
// function behind GET /api/audit_events (CONTRACT §4).
import Router from '@koa/router';
import type { EntityManager } from 'typeorm';
import { type AuditEventFilter, listAuditEvents } from '../domain/audit.js';
import { findUser } from '../domain/users.js';
import { text } from './forms.js';
import { page, pageParam, pager } from './render.js';
import { need } from './session.js';

const FILTERS = ['target_id', 'actor_id', 'action'] as const;

/** A `datetime-local` value (the form's from/to, read as UTC), or undefined when empty or not a time. */
function utcTime(value: string, endOfMinute: boolean): Date | undefined {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/.test(value)) return undefined;
  const t = new Date(`${value}${value.length === 16 ? ':00' : ''}Z`);
  if (Number.isNaN(t.getTime())) return undefined;
  return endOfMinute && value.length === 16 ? new Date(t.getTime() + 59_999) : t;
}

export function auditPages(manager: EntityManager): Router {
  const router = new Router();
  router.get('/audit', need('audit:read'), async (ctx) => {
    const filter: AuditEventFilter = {};
    const shown: Record<string, string> = {};
    for (const name of FILTERS) {
      const value = text(ctx.query[name]).slice(0, 200);
      if (value) filter[name] = shown[name] = value;
    }
    for (const [name, end] of [['from', false], ['to', true]] as const) {
      const value = text(ctx.query[name]).slice(0, 19);
      const time = utcTime(value, end);
      if (time) {
        filter[name] = time;
        shown[name] = value;
      }
    }
    const paged = pageParam(ctx);
    const { items, total } = await listAuditEvents(manager, filter, paged.page, paged.pageSize, 'desc');
    // Who a user actor is, in words; a deleted or blocked user stays an id.
    const userIds = [...new Set(items.filter((e) => e.actor_type === 'user' && e.actor_id).map((e) => e.actor_id!))];
    const users = new Map((await Promise.all(userIds.map((id) => findUser(manager, id)))).filter((u) => u !== null).map((u) => [u.id, u.email]));
    const events = items.map((e) => ({
      ...e,
      when: new Date(e.inserted_at).toISOString().replace('T', ' ').slice(0, 19),
      actor_email: e.actor_id ? users.get(e.actor_id) : undefined,
      details: Object.entries(e.details ?? {}).map(([key, value]) => ({ key, value: typeof value === 'string' ? value : JSON.stringify(value) })),
    }));
    page(ctx, 'audit.njk', { title: 'Audit log', section: 'audit', events, filter: shown, paging: pager(ctx, paged, total) });
  });
  return router;
}
