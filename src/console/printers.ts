// A print service's Printers tab (CONTRACT §7): its printers with status and when last seen, "Add printer" from
// the system printers it reported, the friendly name, the availability switch, removal. Same domain functions
// as /api/services/{client_id}/printers (CONTRACT §4).
import Router from '@koa/router';
import type { Context } from 'koa';
import type { EntityManager } from 'typeorm';
import { displayName } from '../schemas/common.js';
import { Invalid, NotFound } from '../domain/errors.js';
import {
  assignPrinter, listAvailablePrinters, listServicePrinters, removeServicePrinter, updateServicePrinter,
} from '../domain/printers.js';
import { getService } from '../domain/services.js';
import { FRIENDLY_NAME_NEEDED, SERVICE_TYPE_LABELS } from './services.js';
import { type FieldErrors, actorOf, attempt, formOf, need, page, param, seeOther, text, uuidParam, validator } from './web.js';

const checkNew = validator({
  type: 'object', required: ['printer_id', 'name'], properties: { printer_id: { type: 'string', format: 'uuid' }, name: displayName },
}, { printer_id: 'Choose one of the system printers.', name: FRIENDLY_NAME_NEEDED });
const checkName = validator({ type: 'object', required: ['name'], properties: { name: displayName } }, { name: FRIENDLY_NAME_NEEDED });

export function printerPages(manager: EntityManager): Router {
  const router = new Router();
  const tabUrl = (ctx: Context) => `/console/services/${encodeURIComponent(param(ctx, 'id'))}/printers`;

  async function printersTab(ctx: Context, extra: Record<string, unknown> = {}, status = 200) {
    const service = await getService(manager, param(ctx, 'id'));
    if (service.service_type !== 'PRINT_SERVICE') throw new NotFound();
    const [printers, available] = await Promise.all([
      listServicePrinters(manager, service.client_id), listAvailablePrinters(manager, service.client_id),
    ]);
    page(ctx, 'printers.njk', {
      title: `${service.name} · Printers`, section: 'services', tab: 'printers', service, types: SERVICE_TYPE_LABELS,
      printers, available, form: {}, errors: {}, rowErrors: {}, ...extra,
    }, status);
  }

  router.get('/services/:id/printers', need('printer:read'), (ctx) => printersTab(ctx));

  router.post('/services/:id/printers', need('printer:write'), async (ctx) => {
    const form = { printer_id: text(formOf(ctx).printer_id), name: text(formOf(ctx).name) };
    let errors = checkNew(form);
    if (!errors) {
      const result = await attempt(() => assignPrinter(manager, actorOf(ctx), param(ctx, 'id'), form), 'printer_id');
      if ('ok' in result) return seeOther(ctx, tabUrl(ctx));
      errors = result.errors;
    }
    return printersTab(ctx, { form, errors, openDialog: 'add-printer' }, 422);
  });

  router.post('/services/:id/printers/:pid', need('printer:write'), async (ctx) => {
    const id = uuidParam(ctx, 'pid');
    const form = { name: text(formOf(ctx).name) };
    let errors: FieldErrors | null = checkName(form);
    if (!errors) {
      const result = await attempt(() => updateServicePrinter(manager, actorOf(ctx), param(ctx, 'id'), id, form), 'name');
      if ('ok' in result) return seeOther(ctx, tabUrl(ctx));
      errors = result.errors;
    }
    return printersTab(ctx, { rowErrors: { [id]: { errors, name: form.name } } }, 422);
  });

  router.post('/services/:id/printers/:pid/availability', need('printer:write'), async (ctx) => {
    const enabled = text(formOf(ctx).enabled);
    if (enabled !== 'true' && enabled !== 'false') throw Invalid.property('enabled', 'enum', 'must be true or false');
    await updateServicePrinter(manager, actorOf(ctx), param(ctx, 'id'), uuidParam(ctx, 'pid'), { enabled: enabled === 'true' });
    seeOther(ctx, tabUrl(ctx));
  });

  router.post('/services/:id/printers/:pid/delete', need('printer:write'), async (ctx) => {
    await removeServicePrinter(manager, actorOf(ctx), param(ctx, 'id'), uuidParam(ctx, 'pid'));
    seeOther(ctx, tabUrl(ctx));
  });

  return router;
}
