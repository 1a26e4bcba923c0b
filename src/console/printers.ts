// A print service's Printers tab (CONTRACT §7): its printers with status and when last seen, "Add printer" from the
// system printers it reported, the friendly name, the availability switch, removal. Same domain functions as
// /api/services/{client_id}/printers (CONTRACT §4).
import Router from '@koa/router';
import type { Context } from 'koa';
import type { EntityManager } from 'typeorm';
import { Invalid, NotFound } from '../domain/errors.js';
import {
  assignPrinter, listAvailablePrinters, listServicePrinters, removeServicePrinter, updateServicePrinter,
} from '../domain/printers.js';
import { printerActivity } from '../domain/printJobViews.js';
import { getService } from '../domain/services.js';
import { displayName } from '../schemas/common.js';
import { type FieldErrors, clientParam, postForm, text, uuidParam, validator } from './forms.js';
import { page } from './render.js';
import { FRIENDLY_NAME_NEEDED, SERVICE_TYPE_LABELS } from './services.js';
import { actorOf, need } from './session.js';

const checkNew = validator({
  type: 'object', required: ['printer_id', 'name'], properties: { printer_id: { type: 'string', format: 'uuid' }, name: displayName },
}, { printer_id: 'Choose one of the system printers.', name: FRIENDLY_NAME_NEEDED });
const checkName = validator({ type: 'object', required: ['name'], properties: { name: displayName } }, { name: FRIENDLY_NAME_NEEDED });

export function printerPages(manager: EntityManager): Router {
  const router = new Router();
  const tabUrl = (ctx: Context) => `/console/services/${encodeURIComponent(clientParam(ctx))}/printers`;

  async function printersTab(ctx: Context, extra: Record<string, unknown> = {}, status = 200) {
    const service = await getService(manager, clientParam(ctx));
    if (service.service_type !== 'PRINT_SERVICE') throw new NotFound();
    const [printers, available, activity] = await Promise.all([
      listServicePrinters(manager, service.client_id), listAvailablePrinters(manager, service.client_id),
      printerActivity(manager, service.client_id),
    ]);
    page(ctx, 'printers.njk', {
      title: `${service.name} · Printers`, section: 'services', tab: 'printers', service, types: SERVICE_TYPE_LABELS,
      printers, available, activity, form: {}, errors: {}, rowErrors: {}, ...extra,
    }, status);
  }

  router.get('/services/:id/printers', need('printer:read'), (ctx) => printersTab(ctx));

  postForm(router, {
    path: '/services/:id/printers', scopes: ['printer:write'],
    read: (form) => ({ printer_id: text(form.printer_id), name: text(form.name) }),
    check: checkNew,
    run: (ctx, input) => assignPrinter(manager, actorOf(ctx), clientParam(ctx), input),
    conflictField: 'printer_id',
    done: (ctx, printer) => ({ to: tabUrl(ctx), flash: { notice: `The printer ${printer.system_name} was added as ${printer.name}.` } }),
    retry: (ctx, form, errors, status) => printersTab(ctx, { form, errors, openDialog: 'add-printer' }, status),
  });

  postForm(router, {
    path: '/services/:id/printers/:pid', scopes: ['printer:write'],
    read: (form) => ({ name: text(form.name) }),
    check: checkName,
    run: (ctx, input) => updateServicePrinter(manager, actorOf(ctx), clientParam(ctx), uuidParam(ctx, 'pid'), input),
    conflictField: 'name',
    done: (ctx, printer) => ({ to: tabUrl(ctx), flash: { notice: `The printer ${printer.system_name} is now called ${printer.name}.` } }),
    retry: (ctx, form, errors: FieldErrors, status) => printersTab(ctx, { rowErrors: { [uuidParam(ctx, 'pid')]: { errors, name: form.name } } }, status),
  });

  postForm(router, {
    path: '/services/:id/printers/:pid/availability', scopes: ['printer:write'],
    read: (form) => {
      const enabled = text(form.enabled);
      if (enabled !== 'true' && enabled !== 'false') throw Invalid.property('enabled', 'enum', 'must be true or false');
      return { enabled: enabled === 'true' };
    },
    run: (ctx, input) => updateServicePrinter(manager, actorOf(ctx), clientParam(ctx), uuidParam(ctx, 'pid'), input),
    done: (ctx, printer) => ({
      to: tabUrl(ctx), flash: { notice: `${printer.name} is now ${printer.enabled ? 'available' : 'unavailable'}.` },
    }),
    retry: (ctx, _input, errors, status) => printersTab(ctx, { errors }, status),
  });

  postForm(router, {
    path: '/services/:id/printers/:pid/delete', scopes: ['printer:write'],
    read: () => ({}),
    run: (ctx) => removeServicePrinter(manager, actorOf(ctx), clientParam(ctx), uuidParam(ctx, 'pid')),
    done: (ctx, printer) => ({ to: tabUrl(ctx), flash: { notice: `The printer ${printer.name} was removed.` } }),
    retry: (ctx, _input, errors, status) => printersTab(ctx, { errors }, status),
  });

  return router;
}
