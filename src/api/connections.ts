// /api/clients/{id}/connections (CONTRACT §4): list, read, change the redirect URI, refresh the secret, delete.
import type { Context } from 'koa';
import { getClient } from '../domain/clients.js';
import {
  type ConnectionFilter, deleteConnection, getConnection, listConnections, refreshSecret, updateRedirectUri,
} from '../domain/connections.js';
import { addressedClientId, callerOf } from './auth.js';
import type { ApiDeps } from './deps.js';
import { pageOf, pageParams } from './paging.js';
import type { RouteSpec } from './route.js';
import { connectionPatchBody, connectionView, connectionWithSecretView } from '../schemas/clients.js';
import { clientIdParam, emptyBody, listQuery, pathParams, uuidParam } from '../schemas/common.js';

const clientPath = pathParams({ id: clientIdParam });
const connectionPath = pathParams({ id: clientIdParam, connection_id: uuidParam });
const ONE = '/clients/:id/connections/:connection_id';

function connectionIdOf(ctx: Context): string {
  return (ctx.state.params.connection_id as string).toLowerCase();
}

export function connectionRoutes({ manager, secrets }: ApiDeps): RouteSpec[] {
  const common = { tag: 'connections', ownClientParam: 'id', errors: [404] as Array<404 | 409> };
  return [
    {
      ...common, method: 'get', path: '/clients/:id/connections', summary: "List a client's connections",
      scopes: ['connection:read'], params: clientPath,
      query: listQuery({
        consumer_id: { type: 'string', maxLength: 128, description: 'exact match' },
        redirect_uri: { type: 'string', maxLength: 2048, description: 'exact match' },
      }),
      status: 200, list: true, response: connectionView,
      handler: async (ctx: Context) => {
        const clientId = addressedClientId(ctx);
        const { page, pageSize } = pageParams(ctx.state.query);
        const { consumer_id, redirect_uri } = ctx.state.query as ConnectionFilter;
        const { items, total } = await listConnections(manager, clientId, { consumer_id, redirect_uri }, page, pageSize);
        if (!total) await getClient(manager, clientId); // an unknown client is 404, not an empty list
        return pageOf(items, total, page, pageSize);
      },
    },
    {
      ...common, method: 'get', path: ONE, summary: 'One connection',
      scopes: ['connection:read'], params: connectionPath,
      status: 200, response: connectionView,
      handler: (ctx: Context) => getConnection(manager, addressedClientId(ctx), connectionIdOf(ctx)),
    },
    {
      ...common, method: 'patch', path: ONE, summary: "Change a connection's redirect URI (the only field it takes)",
      scopes: ['connection:write'], params: connectionPath, body: connectionPatchBody,
      status: 200, response: connectionView, errors: [404, 409],
      handler: (ctx: Context) => updateRedirectUri(
        manager, callerOf(ctx).actor, addressedClientId(ctx), connectionIdOf(ctx), ctx.state.body.redirect_uri,
      ),
    },
    {
      ...common, method: 'delete', path: ONE, summary: 'Delete a connection; its secret and every token issued through it stop working',
      scopes: ['connection:delete'], params: connectionPath,
      status: 204,
      handler: (ctx: Context) => deleteConnection(manager, callerOf(ctx).actor, addressedClientId(ctx), connectionIdOf(ctx)),
    },
    {
      ...common, method: 'patch', path: `${ONE}/actions/refresh_secret`,
      summary: 'A new secret for the connection, shown this once; the old secret and its tokens stop working',
      scopes: ['connection:refresh_secret', 'connection:delete'], params: connectionPath, body: emptyBody,
      status: 200, response: connectionWithSecretView,
      handler: async (ctx: Context) => {
        const { connection, secret } = await refreshSecret(
          manager, secrets, callerOf(ctx).actor, addressedClientId(ctx), connectionIdOf(ctx),
        );
        return { ...connection, secret };
      },
    },
  ];
}
