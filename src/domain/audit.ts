// The audit log: who changed what, on what, when, under which request id. Never a secret (CONTRACT §4).
import type { EntityManager } from 'typeorm';
import { Conditions, listPage } from './listing.js';

export interface Actor {
  type: 'user' | 'client';
  id: string | null;
  requestId: string | null;
}

/** Gatehouse itself (bootstrap, background work): a client actor, as CONTRACT §4 knows only users and clients. */
export const SYSTEM_ACTOR: Actor = { type: 'client', id: 'gatehouse', requestId: null };

export interface AuditEventView {
  id: string;
  actor_type: string;
  actor_id: string | null;
  action: string;
  target_type: string;
  target_id: string;
  request_id: string | null;
  details: Record<string, unknown>;
  inserted_at: string;
}

const SECRET_KEYS = /secret|password|hash|token/i;

function assertNoSecrets(details: Record<string, unknown>): void {
  for (const key of Object.keys(details)) {
    if (SECRET_KEYS.test(key)) throw new Error(`audit details must not carry ${key}`);
  }
}

export async function recordAudit(
  manager: EntityManager,
  actor: Actor,
  action: string,
  target: { type: string; id: string },
  details: Record<string, unknown> = {},
): Promise<void> {
  assertNoSecrets(details);
  await manager.query(
    `INSERT INTO audit_events (actor_type, actor_id, action, target_type, target_id, request_id, details)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [actor.type, actor.id, action, target.type, target.id, actor.requestId, JSON.stringify(details)],
  );
}

/** How a statement names one audit event per row it changed: the source rows, the target's id and the details. */
export interface AuditedRows {
  /** What follows FROM: a CTE of the changed rows, with a WHERE when needed. */
  from: string;
  targetType: string;
  /** SQL for the target's id in a row. */
  targetId: string;
  /** Detail key → SQL for its value in a row; never a secret, so never a key that names one. */
  details: Record<string, string>;
}

/**
 * For statements that change rows and record them in one round trip: a data-modifying CTE, `name AS (INSERT …)`,
 * that writes one event per row of `rows`, its parameters numbered from `$first`. It commits with the change, or not
 * at all, as recordAudit does inside a transaction.
 */
export function auditEachRow(
  name: string, rows: AuditedRows, actor: Actor, action: string, first: number,
): { sql: string; params: unknown[] } {
  assertNoSecrets(rows.details);
  const details = Object.entries(rows.details).map(([key, value]) => {
    if (!/^[a-z_]+$/.test(key)) throw new Error(`not an audit detail key: ${key}`);
    return `'${key}', ${value}`;
  });
  return {
    sql: `${name} AS (INSERT INTO audit_events (actor_type, actor_id, action, target_type, target_id, request_id, details)
      SELECT $${first}, $${first + 1}, $${first + 2}, $${first + 3}, (${rows.targetId})::text, $${first + 4},
        jsonb_build_object(${details.join(', ')}) FROM ${rows.from})`,
    params: [actor.type, actor.id, action, rows.targetType, actor.requestId],
  };
}

export interface AuditEventFilter {
  target_id?: string;
  actor_id?: string;
  action?: string;
  /** Inclusive bounds of `inserted_at` (CONTRACT §4). */
  from?: Date;
  to?: Date;
}

/** A page of the audit log in `inserted_at`, then `id` order (oldest first unless `desc`); filters match exactly. */
export async function listAuditEvents(
  manager: EntityManager, filter: AuditEventFilter, page: number, pageSize: number, order: 'asc' | 'desc' = 'asc',
): Promise<{ items: AuditEventView[]; total: number }> {
  const where = new Conditions()
    .equals('target_id', filter.target_id).equals('actor_id', filter.actor_id).equals('action', filter.action)
    // Times are shown to the millisecond and stored to the microsecond: `to` takes in its whole millisecond.
    .compare('inserted_at', '>=', filter.from).compare('inserted_at', '<', filter.to && new Date(filter.to.getTime() + 1));
  return listPage<AuditEventView>(manager, 'audit_events',
    'id, actor_type, actor_id, action, target_type, target_id, request_id, details, inserted_at', where, page, pageSize, order);
}
