// DELETE /api/users/{id}/mfa (CONTRACT §8, §11): an administrator removes a user's second factor, for a user who
// lost their phone and their recovery codes. ADMIN clients only; audited as user.mfa_reset.
import { removeSecondFactor } from '../domain/secondFactor.js';
import { uuidParam } from '../schemas/common.js';
import { callerOf } from './auth.js';
import type { ApiDeps } from './deps.js';
import type { RouteSpec } from './route.js';

const userPath = { type: 'object', required: ['id'], properties: { id: uuidParam } } as const;

export function userMfaRoutes({ manager }: ApiDeps): RouteSpec[] {
  return [
    {
      method: 'delete', path: '/users/:id/mfa', summary: "Remove a user's second factor", tag: 'users',
      scopes: ['user:write'], only: 'ADMIN', params: userPath, status: 204, errors: [404],
      handler: async (ctx) => removeSecondFactor(manager, callerOf(ctx).actor, ctx.params.id),
    },
  ];
}
