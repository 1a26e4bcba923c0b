// /api/permissions (CONTRACT §4): the catalog, readable with any valid token; admins add downstream scopes.
import type { Context } from 'koa';
import { createPermission, listPermissions } from '../domain/permissions.js';
import { callerOf } from './auth.js';
import type { ApiDeps } from './deps.js';
import { pageOf, pageParams } from './paging.js';
import type { RouteSpec } from './route.js';
import { newPermissionBody, permissionView } from '../schemas/catalog.js';
import { listQuery } from '../schemas/common.js';

export function permissionRoutes({ manager }: ApiDeps): RouteSpec[] {
  return [
    {
      method: 'get', path: '/permissions', tag: 'permissions', summary: 'The permission catalog',
      scopes: [], query: listQuery(), status: 200, list: true, response: permissionView,
      handler: async (ctx: Context) => {
        const { page, pageSize } = pageParams(ctx.state.query);
        // The catalog is small (built-ins plus what admins add): one query, paged here.
        const all = await listPermissions(manager);
        return pageOf(all.slice((page - 1) * pageSize, page * pageSize), all.length, page, pageSize);
      },
    },
    {
      method: 'post', path: '/permissions', tag: 'permissions', summary: 'Add a permission to the catalog',
      scopes: ['permission:write'], body: newPermissionBody, status: 201, response: permissionView, errors: [409],
      handler: (ctx: Context) => createPermission(manager, callerOf(ctx).actor, ctx.state.body),
    },
  ];
}
