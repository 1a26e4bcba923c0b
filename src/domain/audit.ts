// The audit log: who changed what, on what, when, under which request id. Never a secret (CONTRACT §4).
import type { EntityManager } from 'typeorm';

export interface Actor {
  type: 'user' | 'client' | 'system';
  id: string | null;
  requestId: string | null;
}

export const SYSTEM_ACTOR: Actor = { type: 'system', id: null, requestId: null };

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

export async function recordAudit(
  manager: EntityManager,
  actor: Actor,
  action: string,
  target: { type: string; id: string },
  details: Record<string, unknown> = {},
): Promise<void> {
  for (const key of Object.keys(details)) {
    if (SECRET_KEYS.test(key)) throw new Error(`audit details must not carry ${key}`);
  }
  await manager.query(
    `INSERT INTO audit_events (actor_type, actor_id, action, target_type, target_id, request_id, details)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [actor.type, actor.id, action, target.type, target.id, actor.requestId, JSON.stringify(details)],
  );
}
