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

/** One event per target in one statement: the same act on many things (e.g. the queued jobs a disabled printer cancels). */
export async function recordAuditEach(
  manager: EntityManager,
  actor: Actor,
  action: string,
  events: Array<{ target: { type: string; id: string }; details: Record<string, unknown> }>,
): Promise<void> {
  if (!events.length) return;
  for (const event of events) assertNoSecrets(event.details);
  await manager.query(
    `INSERT INTO audit_events (actor_type, actor_id, action, target_type, target_id, request_id, details)
     SELECT $1, $2, $3, e.target_type, e.target_id, $4, e.details
     FROM jsonb_to_recordset($5::jsonb) AS e(target_type text, target_id text, details jsonb)`,
    [actor.type, actor.id, action, actor.requestId,
      JSON.stringify(events.map((e) => ({ target_type: e.target.type, target_id: e.target.id, details: e.details })))],
  );
}

export interface AuditEventFilter {
  target_id?: string;
  actor_id?: string;
  action?: string;
}

/** A page of the audit log, oldest first (`inserted_at`, then `id`, CONTRACT §4); filters match exactly. */
export async function listAuditEvents(
  manager: EntityManager, filter: AuditEventFilter, page: number, pageSize: number,
): Promise<{ items: AuditEventView[]; total: number }> {
  const where = new Conditions()
    .equals('target_id', filter.target_id).equals('actor_id', filter.actor_id).equals('action', filter.action);
  return listPage<AuditEventView>(manager, 'audit_events',
    'id, actor_type, actor_id, action, target_type, target_id, request_id, details, inserted_at', where, page, pageSize);
}
