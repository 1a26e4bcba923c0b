// The printers of print services (CONTRACT §4): the admin's Printers tab under /api/services/{client_id},
// and the print service's own report at PUT /api/print_service/printers.
import type { Context, Next } from 'koa';
import { Forbidden } from '../domain/errors.js';
import {
  assignPrinter, listAvailablePrinters, listServicePrinters, removeServicePrinter, reportPrinters, updateServicePrinter,
} from '../domain/printers.js';
import { addressedClientId, callerOf } from './auth.js';
import type { ApiDeps } from './deps.js';
import { pageOf, pageParams } from './paging.js';
import type { RouteSpec } from './route.js';
import { listQuery } from '../schemas/common.js';
import {
  newPrinterBody, printerPatchBody, printerPath, reportBody, servicePrinterView, systemPrinterView,
} from '../schemas/printers.js';
import { servicePath } from '../schemas/services.js';

/** Only a print service reports printers, and only its own (CONTRACT §4: another type's token → 403). */
export async function printServiceOnly(ctx: Context, next: Next): Promise<void> {
  if (callerOf(ctx).clientType !== 'PRINT_SERVICE') throw new Forbidden('forbidden');
  await next();
}

/** One page of a short list that the domain returns whole (a service has tens of printers, not thousands). */
function pageOfAll<T>(ctx: Context, all: T[]) {
  const { page, pageSize } = pageParams(ctx.state.query);
  return pageOf(all.slice((page - 1) * pageSize, page * pageSize), all.length, page, pageSize);
}

export function printerRoutes({ manager }: ApiDeps): RouteSpec[] {
  const serviceId = (ctx: Context) => addressedClientId(ctx, 'client_id');
  return [
    {
      method: 'get', path: '/services/:client_id/printers', tag: 'printers',
      summary: "A print service's printers with status and when each was last seen (404 for an INTEGRATION)",
      scopes: ['printer:read'], params: servicePath, ownClientParam: 'client_id', query: listQuery(),
      status: 200, list: true, response: servicePrinterView, errors: [404],
      handler: async (ctx: Context) => pageOfAll(ctx, await listServicePrinters(manager, serviceId(ctx))),
    },
    {
      method: 'get', path: '/services/:client_id/available_printers', tag: 'printers',
      summary: 'System printers the service reported that are not assigned yet',
      scopes: ['printer:read'], params: servicePath, ownClientParam: 'client_id', query: listQuery(),
      status: 200, list: true, response: systemPrinterView, errors: [404],
      handler: async (ctx: Context) => pageOfAll(ctx, await listAvailablePrinters(manager, serviceId(ctx))),
    },
    {
      method: 'post', path: '/services/:client_id/printers', tag: 'printers',
      summary: 'Assign one of its system printers with a friendly name',
      scopes: ['printer:write'], params: servicePath, ownClientParam: 'client_id', body: newPrinterBody,
      status: 201, response: servicePrinterView, errors: [404, 409],
      handler: (ctx: Context) => assignPrinter(manager, callerOf(ctx).actor, serviceId(ctx), ctx.state.body),
    },
    {
      method: 'patch', path: '/services/:client_id/printers/:id', tag: 'printers',
      summary: 'Rename a printer or switch its availability',
      scopes: ['printer:write'], params: printerPath, ownClientParam: 'client_id', body: printerPatchBody,
      status: 200, response: servicePrinterView, errors: [404],
      handler: (ctx: Context) => updateServicePrinter(manager, callerOf(ctx).actor, serviceId(ctx), ctx.state.params.id, ctx.state.body),
    },
    {
      method: 'delete', path: '/services/:client_id/printers/:id', tag: 'printers',
      summary: 'Remove a printer from the service; its system printer becomes available again',
      scopes: ['printer:write'], params: printerPath, ownClientParam: 'client_id',
      status: 204, errors: [404],
      handler: (ctx: Context) => removeServicePrinter(manager, callerOf(ctx).actor, serviceId(ctx), ctx.state.params.id),
    },
    {
      method: 'put', path: '/print_service/printers', tag: 'printers',
      summary: "A print service's own token reports every printer it sees now; printers it no longer lists become unknown",
      scopes: ['printer:report'], guards: [printServiceOnly], forbidden: true, body: reportBody,
      status: 200, response: systemPrinterView,
      handler: (ctx: Context) => {
        const caller = callerOf(ctx);
        return reportPrinters(manager, caller.actor, caller.clientId, ctx.state.body.printers);
      },
    },
  ];
}
