// Configuration → Services (CONTRACT §7; seed: the pharmacy portal's Service Configuration page): the list,
// "Add service" with the secret shown once, a service's Details tab with the permissions editor and
// "Regenerate secret". The same domain functions as /api/services (CONTRACT §4).
import Router from '@koa/router';
import type { Context } from 'koa';
import type { EntityManager } from 'typeorm';
import { SERVICE_TYPES } from '../../entities/index.js';
import { displayName, permissionList } from '../schemas/common.js';
import { SERVICE_ID } from '../domain/clients.js';
import { listPermissions } from '../domain/permissions.js';
import type { Secrets } from '../domain/secrets.js';
import {
  createService, deleteService, getService, listServices, regenerateServiceSecret, updateService,
} from '../domain/services.js';
import {
  actorOf, attempt, formOf, list, need, page, pageParam, pager, param, seeOther, text, validator,
} from './web.js';

export const FRIENDLY_NAME_NEEDED = 'Enter a friendly name of 1 to 255 characters that is not only spaces.';

export const SERVICE_TYPE_LABELS: Record<string, string> = { PRINT_SERVICE: 'Print Service', INTEGRATION: 'Integration' };

const checkNewService = validator({
  type: 'object',
  required: ['client_id', 'name', 'service_type'],
  properties: {
    client_id: { type: 'string', pattern: SERVICE_ID.source },
    name: displayName,
    service_type: { type: 'string', enum: [...SERVICE_TYPES] },
    permissions: permissionList,
  },
}, {
  client_id: 'Enter a System ID of 3 to 64 characters: lower-case letters, digits, _ or -, starting with a letter or digit.',
  name: FRIENDLY_NAME_NEEDED,
  service_type: 'Choose Print Service or Integration.',
});
const checkChanges = validator({
  type: 'object', required: ['name'], properties: { name: displayName, permissions: permissionList },
}, { name: FRIENDLY_NAME_NEEDED });

export function servicePages(manager: EntityManager, secrets: Secrets): Router {
  const router = new Router();
  const catalog = () => listPermissions(manager);

  router.get('/services', need('service:read'), async (ctx) => {
    const name = text(ctx.query.name).slice(0, 255);
    const type = text(ctx.query.service_type);
    const paged = pageParam(ctx);
    const filter = { ...(name ? { name } : {}), ...((SERVICE_TYPES as readonly string[]).includes(type) ? { service_type: type } : {}) };
    const { items, total } = await listServices(manager, filter, paged.page, paged.pageSize);
    page(ctx, 'services.njk', {
      title: 'Services', section: 'services', services: items, types: SERVICE_TYPE_LABELS,
      filter: { name, service_type: type }, paging: pager(ctx, paged, total),
    });
  });

  const newForm = async (ctx: Context, form: Record<string, unknown>, errors = {}, status = 200) => page(ctx, 'service-new.njk', {
    title: 'Add service', section: 'services', types: SERVICE_TYPE_LABELS, permissions: await catalog(), form, errors,
  }, status);

  router.get('/services/new', need('service:write'), (ctx) => newForm(ctx, { service_type: 'PRINT_SERVICE', permissions: [] }));

  router.post('/services', need('service:write'), async (ctx) => {
    const body = formOf(ctx);
    const form = {
      client_id: text(body.client_id), name: text(body.name), service_type: text(body.service_type), permissions: list(body.permissions),
    };
    let errors = checkNewService(form);
    if (!errors) {
      const result = await attempt(() => createService(manager, secrets, actorOf(ctx), {
        ...form, service_type: form.service_type as (typeof SERVICE_TYPES)[number],
      }), 'client_id');
      // Shown this once, in the answer to the POST itself: the secret is never stored or put in a URL.
      if ('ok' in result) return details(ctx, result.ok.service.client_id, { created: result.ok.client_secret }, 201);
      errors = result.errors;
    }
    return newForm(ctx, form, errors, 422);
  });

  async function details(ctx: Context, id: string, extra: Record<string, unknown> = {}, status = 200) {
    const service = await getService(manager, id);
    page(ctx, 'service.njk', {
      title: service.name, section: 'services', tab: 'details', service, types: SERVICE_TYPE_LABELS,
      permissions: await catalog(), form: { name: service.name, permissions: service.permissions }, errors: {}, ...extra,
    }, status);
  }

  router.get('/services/:id', need('service:read'), (ctx) => details(ctx, param(ctx, 'id')));

  router.post('/services/:id', need('service:write'), async (ctx) => {
    const body = formOf(ctx);
    const form = { name: text(body.name), permissions: list(body.permissions) };
    let errors = checkChanges(form);
    if (!errors) {
      const result = await attempt(() => updateService(manager, actorOf(ctx), param(ctx, 'id'), form), 'name');
      if ('ok' in result) return details(ctx, param(ctx, 'id'), { notice: 'The service was saved. Permission changes apply at once.' });
      errors = result.errors;
    }
    return details(ctx, param(ctx, 'id'), { form, errors }, 422);
  });

  router.post('/services/:id/regenerate_secret', need('service:write'), async (ctx) => {
    const { service, client_secret } = await regenerateServiceSecret(manager, secrets, actorOf(ctx), param(ctx, 'id'));
    return details(ctx, service.client_id, { regenerated: client_secret });
  });

  router.post('/services/:id/delete', need('service:write'), async (ctx) => {
    await deleteService(manager, actorOf(ctx), param(ctx, 'id'));
    seeOther(ctx, '/console/services');
  });

  return router;
}
