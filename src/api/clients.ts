// /api/clients (CONTRACT §4): list, read, and the ADMIN-only rename, block and unblock.
import type { Context } from 'koa';
import { CLIENT_TYPES } from '../../entities/index.js';
import { type ClientFilter, getClient, listClients, updateClient } from '../domain/clients.js';
import { addressedClientId, callerOf } from './auth.js';
import type { ApiDeps } from './deps.js';
import { pageOf, pageParams } from './paging.js';
import type { RouteSpec } from './route.js';
import { ownClientOnly } from '../domain/visibility.js';
import { clientPatchBody, clientView } from '../schemas/clients.js';
import { clientIdParam, listQuery, pathParams } from '../schemas/common.js';

const clientPath = pathParams({ id: clientIdParam });

export function clientRoutes({ manager }: ApiDeps): RouteSpec[] {
  return [
    {
      method: 'get', path: '/clients', tag: 'clients', summary: 'List clients (a non-ADMIN caller sees only itself)',
      scopes: ['client:read'],
      query: listQuery({
        name: { type: 'string', maxLength: 255, description: 'substring, any case' },
        client_type: { type: 'string', enum: [...CLIENT_TYPES] },
        is_blocked: { type: 'boolean' },
      }),
      status: 200, list: true, response: clientView,
      handler: async (ctx: Context) => {
        const { page, pageSize } = pageParams(ctx.state.query);
        const { name, client_type, is_blocked } = ctx.state.query as ClientFilter;
        const filter: ClientFilter = { name, client_type, is_blocked, id: ownClientOnly(callerOf(ctx)) };
        const { items, total } = await listClients(manager, filter, page, pageSize);
        return pageOf(items, total, page, pageSize);
      },
    },
    {
      method: 'get', path: '/clients/:id', tag: 'clients', summary: 'One client',
      scopes: ['client:read'], params: clientPath, ownClientParam: 'id',
      status: 200, response: clientView, errors: [404],
      handler: (ctx: Context) => getClient(manager, addressedClientId(ctx)),
    },
    {
      method: 'patch', path: '/clients/:id', tag: 'clients',
      summary: 'Rename, block or unblock a client (ADMIN only); blocking revokes every token of the client',
      scopes: ['client:write'], params: clientPath, only: 'ADMIN', body: clientPatchBody,
      status: 200, response: clientView, errors: [404],
      handler: (ctx: Context) => updateClient(manager, callerOf(ctx).actor, addressedClientId(ctx), ctx.state.body),
    },
  ];
}
