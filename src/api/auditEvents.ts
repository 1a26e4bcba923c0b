// /api/audit_events (CONTRACT §4): who changed what, on what, when, under which request id.
import type { Context } from 'koa';
import { listAuditEvents } from '../domain/audit.js';
import { Invalid } from '../domain/errors.js';
import { ownClientOnly } from '../domain/visibility.js';
import { auditEventView } from '../schemas/catalog.js';
import { listQuery } from '../schemas/common.js';
import { callerOf } from './auth.js';
import type { ApiDeps } from './deps.js';
import { pageOf, pageParams } from './paging.js';
import type { RouteSpec } from './route.js';

const filterValue = { type: 'string', minLength: 1, maxLength: 255, description: 'exact match' } as const;
const instant = { type: 'string', format: 'date-time', description: 'RFC 3339, inclusive' } as const;

/** An RFC 3339 bound as a time; one the schema accepts but a Date cannot hold (a leap second, :60) is a 422 problem. */
function instantOf(query: Record<string, string | undefined>, name: 'from' | 'to'): Date | undefined {
  const value = query[name];
  if (value === undefined) return undefined;
  const time = new Date(value);
  if (Number.isNaN(time.getTime())) {
    throw new Invalid([{ entry: `$.${name}`, entry_type: 'query_parameter', rules: [{ rule: 'format', description: 'must be a date-time this server can represent (no leap second)' }] }]);
  }
  return time;
}

export function auditEventRoutes({ manager }: ApiDeps): RouteSpec[] {
  return [
    {
      method: 'get', path: '/audit_events', tag: 'audit',
      summary: 'The audit log, oldest first unless order=desc (a non-ADMIN caller sees only the changes it made itself)',
      scopes: ['audit:read'],
      query: listQuery({
        target_id: filterValue, actor_id: filterValue, action: filterValue, from: instant, to: instant,
        order: { type: 'string', enum: ['asc', 'desc'], default: 'asc' },
      }),
      status: 200, list: true, response: auditEventView,
      handler: async (ctx: Context) => {
        const { page, pageSize } = pageParams(ctx.state.query);
        const q = ctx.state.query as Record<string, string | undefined>;
        const from = instantOf(q, 'from');
        const to = instantOf(q, 'to');
        if (from && to && from > to) {
          throw new Invalid([{ entry: '$.to', entry_type: 'query_parameter', rules: [{ rule: 'range', description: 'must not be before from' }] }]);
        }
        // Context rule for lists (CONTRACT §4): anyone but ADMIN is narrowed to its own doing.
        const own = ownClientOnly(callerOf(ctx));
        if (own !== undefined && q.actor_id !== undefined && q.actor_id !== own) return pageOf([], 0, page, pageSize);
        const filter = { target_id: q.target_id, action: q.action, actor_id: own ?? q.actor_id, from, to };
        const { items, total } = await listAuditEvents(manager, filter, page, pageSize, q.order === 'desc' ? 'desc' : 'asc');
        return pageOf(items, total, page, pageSize);
      },
    },
  ];
}
