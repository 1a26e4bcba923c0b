// /api/audit_events (CONTRACT §4): who changed what, on what, when, under which request id.
import type { Context } from 'koa';
import { type AuditEventFilter, listAuditEvents } from '../domain/audit.js';
import { callerOf } from './auth.js';
import type { ApiDeps } from './deps.js';
import { pageOf, pageParams } from './paging.js';
import type { RouteSpec } from './route.js';
import { auditEventView } from '../schemas/catalog.js';
import { listQuery } from '../schemas/common.js';

const filterValue = { type: 'string', minLength: 1, maxLength: 255, description: 'exact match' } as const;

export function auditEventRoutes({ manager }: ApiDeps): RouteSpec[] {
  return [
    {
      method: 'get', path: '/audit_events', tag: 'audit',
      summary: 'The audit log, oldest first (a non-ADMIN caller sees only the changes it made itself)',
      scopes: ['audit:read'],
      query: listQuery({ target_id: filterValue, actor_id: filterValue, action: filterValue }),
      status: 200, list: true, response: auditEventView,
      handler: async (ctx: Context) => {
        const { page, pageSize } = pageParams(ctx.state.query);
        const { target_id, actor_id, action } = ctx.state.query as AuditEventFilter;
        const caller = callerOf(ctx);
        // Context rule for lists (CONTRACT §4): anyone but ADMIN is narrowed to its own doing.
        if (caller.clientType !== 'ADMIN' && actor_id !== undefined && actor_id !== caller.clientId) {
          return pageOf([], 0, page, pageSize);
        }
        const filter = { target_id, action, actor_id: caller.clientType === 'ADMIN' ? actor_id : caller.clientId };
        const { items, total } = await listAuditEvents(manager, filter, page, pageSize);
        return pageOf(items, total, page, pageSize);
      },
    },
  ];
}
