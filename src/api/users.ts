// /api/users (CONTRACT §8): users, their memberships and grants, password resets and unlocking. ADMIN sees every
// user; another client type only the members of its own client, with only that membership (visibility.ts).
import type { Context } from 'koa';
import { recordAudit } from '../domain/audit.js';
import { NotFound } from '../domain/errors.js';
import { listUserGrants, revokeUserGrant } from '../domain/grants.js';
import {
  type UserFilter, createUser, deleteUser, getUser, listUsers, resetPassword, unlockUser, updateUser,
} from '../domain/users.js';
import { deleteMembership, putMembership } from '../domain/memberships.js';
import { ownClientOnly } from '../domain/visibility.js';
import { addressedClientId, callerOf } from './auth.js';
import type { ApiDeps } from './deps.js';
import { pageOf, pageParams } from './paging.js';
import type { RouteSpec } from './route.js';
import { clientIdParam, listQuery } from '../schemas/common.js';
import {
  createdUserView, grantView, membershipBody, membershipView, newApiUserBody, passwordSetupView, userClientPath, userPatchBody,
  userPath, userView,
} from '../schemas/users.js';

function userIdOf(ctx: Context): string {
  return (ctx.state.params.id as string).toLowerCase();
}

export function userRoutes({ manager, secrets, issuer }: ApiDeps): RouteSpec[] {
  const links = { secrets, issuer };
  const common = { tag: 'users', errors: [404] as Array<404 | 409> };
  return [
    {
      ...common, method: 'get', path: '/users', summary: 'List users (a non-ADMIN caller sees only the members of its own client)',
      scopes: ['user:read'],
      query: listQuery({
        email: { type: 'string', maxLength: 254, description: 'substring, any case' },
        client_id: { ...clientIdParam, description: 'members of this client' },
        is_blocked: { type: 'boolean' },
      }),
      status: 200, list: true, response: userView,
      handler: async (ctx: Context) => {
        const { page, pageSize } = pageParams(ctx.state.query);
        const { email, client_id, is_blocked } = ctx.state.query as UserFilter;
        const filter: UserFilter = { email, client_id, is_blocked, visibleTo: ownClientOnly(callerOf(ctx)) };
        const { items, total } = await listUsers(manager, filter, page, pageSize);
        return pageOf(items, total, page, pageSize);
      },
    },
    {
      ...common, method: 'post', path: '/users', summary: 'Create a user (ADMIN only); the response shows a password setup link this once',
      scopes: ['user:write'], only: 'ADMIN', body: newApiUserBody, status: 201, response: createdUserView, errors: [409],
      handler: (ctx: Context) => createUser(manager, callerOf(ctx).actor, ctx.state.body, links),
    },
    {
      ...common, method: 'get', path: '/users/:id', summary: 'One user',
      scopes: ['user:read'], params: userPath, status: 200, response: userView,
      handler: (ctx: Context) => getUser(manager, userIdOf(ctx), ownClientOnly(callerOf(ctx))),
    },
    {
      ...common, method: 'patch', path: '/users/:id',
      summary: 'Rename, block or unblock a user (ADMIN only); blocking ends the sessions and revokes every grant, code and token',
      scopes: ['user:write'], params: userPath, only: 'ADMIN', body: userPatchBody, status: 200, response: userView,
      handler: (ctx: Context) => updateUser(manager, callerOf(ctx).actor, userIdOf(ctx), ctx.state.body),
    },
    {
      ...common, method: 'delete', path: '/users/:id', summary: 'Delete a user (ADMIN only), revoking everything of the user',
      scopes: ['user:write'], params: userPath, only: 'ADMIN', status: 204,
      handler: (ctx: Context) => deleteUser(manager, callerOf(ctx).actor, userIdOf(ctx)),
    },
    {
      ...common, method: 'put', path: '/users/:id/memberships/:client_id',
      summary: 'Create (201) or replace (200) a membership; every scope must be in the catalog',
      scopes: ['user:write'], params: userClientPath, ownClientParam: 'client_id', body: membershipBody,
      status: 200, mayCreate: true, response: membershipView,
      handler: async (ctx: Context) => {
        const { scopes } = ctx.state.body as { scopes: string[] };
        const { created, membership } = await putMembership(manager, callerOf(ctx).actor, userIdOf(ctx), addressedClientId(ctx, 'client_id'), scopes);
        if (created) ctx.state.status = 201;
        return membership;
      },
    },
    {
      ...common, method: 'delete', path: '/users/:id/memberships/:client_id',
      summary: "Remove a membership; the user's grant, codes and tokens at that client are revoked",
      scopes: ['user:write'], params: userClientPath, ownClientParam: 'client_id', status: 204,
      handler: (ctx: Context) => deleteMembership(manager, callerOf(ctx).actor, userIdOf(ctx), addressedClientId(ctx, 'client_id')),
    },
    {
      ...common, method: 'post', path: '/users/:id/actions/reset_password',
      summary: "A new password setup link (ADMIN only); the current password stops working and the user's sessions end",
      scopes: ['user:write'], params: userPath, only: 'ADMIN', status: 200, response: passwordSetupView,
      handler: (ctx: Context) => resetPassword(manager, links, callerOf(ctx).actor, userIdOf(ctx)),
    },
    {
      ...common, method: 'post', path: '/users/:id/actions/unlock', summary: "Clear the login throttling of the user's email (ADMIN only)",
      scopes: ['user:write'], params: userPath, only: 'ADMIN', status: 200, response: userView,
      handler: async (ctx: Context) => {
        await unlockUser(manager, callerOf(ctx).actor, userIdOf(ctx));
        return getUser(manager, userIdOf(ctx));
      },
    },
    {
      ...common, method: 'get', path: '/users/:id/grants', summary: 'The clients the user has granted access, with the scopes',
      scopes: ['user:read'], params: userPath, list: true, query: listQuery(), status: 200, response: grantView,
      handler: async (ctx: Context) => {
        const own = ownClientOnly(callerOf(ctx));
        await getUser(manager, userIdOf(ctx), own);
        const { page, pageSize } = pageParams(ctx.state.query);
        const all = (await listUserGrants(manager, userIdOf(ctx)))
          .filter((g) => own === undefined || g.client_id === own)
          .map((g) => ({ ...g, inserted_at: g.granted_at, updated_at: g.granted_at }));
        return pageOf(all.slice((page - 1) * pageSize, page * pageSize), all.length, page, pageSize);
      },
    },
    {
      ...common, method: 'delete', path: '/users/:id/grants/:client_id',
      summary: 'Revoke the grant to a client and every code and token issued under it',
      scopes: ['user:write'], params: userClientPath, ownClientParam: 'client_id', status: 204,
      handler: async (ctx: Context) => {
        const userId = userIdOf(ctx);
        const clientId = addressedClientId(ctx, 'client_id');
        await getUser(manager, userId);
        await manager.transaction(async (tx) => {
          if (!(await revokeUserGrant(tx, userId, clientId))) throw new NotFound();
          await recordAudit(tx, callerOf(ctx).actor, 'grant.revoke', { type: 'user', id: userId }, { client_id: clientId });
        });
      },
    },
  ];
}
