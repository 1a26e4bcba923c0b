// /api/services (CONTRACT §4): print services and integrations, their permissions and their secret.
import type { Context } from 'koa';
import { SERVICE_TYPES } from '../../entities/index.js';
import { Invalid } from '../domain/errors.js';
import {
  type ServiceFilter, createService, deleteService, getService, listServices, regenerateServiceSecret, updateService,
} from '../domain/services.js';
import { addressedClientId, callerOf } from './auth.js';
import { ownClientOnly } from '../domain/visibility.js';
import type { ApiDeps } from './deps.js';
import { pageOf, pageParams } from './paging.js';
import type { RouteSpec } from './route.js';
import { listQuery } from '../schemas/common.js';
import { newServiceBody, servicePatchBody, servicePath, serviceView, serviceWithSecretView } from '../schemas/services.js';

export function serviceRoutes({ manager, secrets }: ApiDeps): RouteSpec[] {
  return [
    {
      method: 'get', path: '/services', tag: 'services', summary: 'List services (a non-ADMIN caller sees only itself)',
      scopes: ['service:read'],
      query: listQuery({
        name: { type: 'string', maxLength: 255, description: 'substring, any case' },
        service_type: { type: 'string', enum: [...SERVICE_TYPES] },
      }),
      status: 200, list: true, response: serviceView,
      handler: async (ctx: Context) => {
        const { page, pageSize } = pageParams(ctx.state.query);
        const { name, service_type } = ctx.state.query as ServiceFilter;
        const filter: ServiceFilter = { name, service_type, client_id: ownClientOnly(callerOf(ctx)) };
        const { items, total } = await listServices(manager, filter, page, pageSize);
        return pageOf(items, total, page, pageSize);
      },
    },
    {
      method: 'post', path: '/services', tag: 'services',
      summary: 'Create a service (ADMIN only); the response shows its client_secret this once',
      scopes: ['service:write'], only: 'ADMIN', body: newServiceBody,
      status: 201, response: serviceWithSecretView, errors: [409],
      handler: async (ctx: Context) => {
        const { service, client_secret } = await createService(manager, secrets, callerOf(ctx).actor, ctx.state.body);
        return { ...service, client_secret };
      },
    },
    {
      method: 'get', path: '/services/:client_id', tag: 'services', summary: 'One service',
      scopes: ['service:read'], params: servicePath, ownClientParam: 'client_id',
      status: 200, response: serviceView, errors: [404],
      handler: (ctx: Context) => getService(manager, addressedClientId(ctx, 'client_id')),
    },
    {
      method: 'patch', path: '/services/:client_id', tag: 'services',
      summary: 'Rename a service or replace its permissions (ADMIN only); removed permissions leave issued tokens at once',
      scopes: ['service:write'], params: servicePath, only: 'ADMIN', body: servicePatchBody,
      status: 200, response: serviceView, errors: [404],
      handler: (ctx: Context) => {
        const { service_type, ...changes } = ctx.state.body as Record<string, unknown>;
        if (service_type !== undefined) {
          throw Invalid.property('service_type', 'immutable',
            'the service type cannot change after creation: delete the service and create a new one', { service_type });
        }
        return updateService(manager, callerOf(ctx).actor, addressedClientId(ctx, 'client_id'), changes);
      },
    },
    {
      method: 'delete', path: '/services/:client_id', tag: 'services',
      summary: 'Delete a service (ADMIN only): revokes its tokens, removes its connections and printers',
      scopes: ['service:write'], params: servicePath, only: 'ADMIN',
      status: 204, errors: [404],
      handler: (ctx: Context) => deleteService(manager, callerOf(ctx).actor, addressedClientId(ctx, 'client_id')),
    },
    {
      method: 'post', path: '/services/:client_id/actions/regenerate_secret', tag: 'services',
      summary: 'A new client_secret, shown this once; the old one fails and its tokens are revoked at once',
      scopes: ['service:write'], params: servicePath, ownClientParam: 'client_id',
      status: 200, response: serviceWithSecretView, errors: [404],
      handler: async (ctx: Context) => {
        const { service, client_secret } = await regenerateServiceSecret(
          manager, secrets, callerOf(ctx).actor, addressedClientId(ctx, 'client_id'),
        );
        return { ...service, client_secret };
      },
    },
  ];
}
