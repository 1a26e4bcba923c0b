// Configuration → Services (CONTRACT §7; seed: the pharmacy portal's Service Configuration page): the list,
// "Add service" with the secret shown once, a service's Details tab with the permissions editor, "Regenerate
// secret" and deletion. The same domain functions and schemas as /api/services (CONTRACT §4).
import Router from '@koa/router';
import type { Context } from 'koa';
import { SERVICE_TYPES } from '../../entities/index.js';
import { listPermissions } from '../domain/permissions.js';
import type { Secrets } from '../domain/secrets.js';
import {
  type ServiceType, createService, deleteService, getService, listServices, regenerateServiceSecret, updateService,
} from '../domain/services.js';
import { displayName, permissionList } from '../schemas/common.js';
import { serviceId, serviceType } from '../schemas/services.js';
import type { EntityManager } from 'typeorm';
import { type FieldErrors, clientParam, list, postForm, text, validator } from './forms.js';
import { page, pageParam, pager } from './render.js';
import { actorOf, need } from './session.js';

export const FRIENDLY_NAME_NEEDED = 'Enter a friendly name of 1 to 255 characters that is not only spaces.';

export const SERVICE_TYPE_LABELS: Record<string, string> = { PRINT_SERVICE: 'Print Service', INTEGRATION: 'Integration' };

const checkNewService = validator({
  type: 'object',
  required: ['client_id', 'name', 'service_type'],
  properties: { client_id: serviceId, name: displayName, service_type: serviceType, permissions: permissionList },
}, {
  client_id: 'Enter a System ID of 3 to 64 characters: lower-case letters, digits, _ or -, starting with a letter or digit.',
  name: FRIENDLY_NAME_NEEDED,
  service_type: 'Choose Print Service or Integration.',
});
const checkChanges = validator({
  type: 'object', required: ['name'], properties: { name: displayName, permissions: permissionList },
}, { name: FRIENDLY_NAME_NEEDED });

const serviceUrl = (id: string) => `/console/services/${encodeURIComponent(id)}`;

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

  const newForm = async (ctx: Context, form: object, errors: FieldErrors = {}, status = 200) => page(ctx, 'service-new.njk', {
    title: 'Add service', section: 'services', types: SERVICE_TYPE_LABELS, permissions: await catalog(), form, errors,
  }, status);

  router.get('/services/new', need('service:write'), (ctx) => newForm(ctx, { service_type: 'PRINT_SERVICE', permissions: [] }));

  postForm(router, {
    path: '/services', scopes: ['service:write'],
    read: (form) => ({ client_id: text(form.client_id), name: text(form.name), service_type: text(form.service_type), permissions: list(form.permissions) }),
    check: checkNewService,
    run: (ctx, input) => createService(manager, secrets, actorOf(ctx), { ...input, service_type: input.service_type as ServiceType }),
    conflictField: 'client_id',
    done: (_ctx, { service, client_secret }) => ({
      to: serviceUrl(service.client_id),
      flash: {
        notice: `The service ${service.name} was created.`,
        reveal: { kind: 'secret', heading: 'Service created', intro: 'The service can now authenticate with these identifiers.', clientId: service.client_id, secret: client_secret },
      },
    }),
    retry: (ctx, input, errors, status) => newForm(ctx, input, errors, status),
  });

  async function details(ctx: Context, extra: Record<string, unknown> = {}, status = 200) {
    const service = await getService(manager, clientParam(ctx));
    page(ctx, 'service.njk', {
      title: service.name, section: 'services', tab: 'details', service, types: SERVICE_TYPE_LABELS,
      permissions: await catalog(), form: { name: service.name, permissions: service.permissions }, errors: {}, ...extra,
    }, status);
  }

  router.get('/services/:id', need('service:read'), (ctx) => details(ctx));

  postForm(router, {
    path: '/services/:id', scopes: ['service:write'],
    read: (form) => ({ name: text(form.name), permissions: list(form.permissions) }),
    check: checkChanges,
    run: (ctx, input) => updateService(manager, actorOf(ctx), clientParam(ctx), input),
    conflictField: 'name',
    done: (_ctx, service) => ({ to: serviceUrl(service.client_id), flash: { notice: `The service ${service.name} was saved. Permission changes apply at once.` } }),
    retry: (ctx, form, errors, status) => details(ctx, { form, errors }, status),
  });

  postForm(router, {
    path: '/services/:id/regenerate_secret', scopes: ['service:write'],
    read: () => ({}),
    run: (ctx) => regenerateServiceSecret(manager, secrets, actorOf(ctx), clientParam(ctx)),
    done: (_ctx, { service, client_secret }) => ({
      to: serviceUrl(service.client_id),
      flash: {
        notice: `A new secret was made for ${service.name}; the old one no longer works.`,
        reveal: { kind: 'secret', heading: 'New secret', intro: 'The old secret no longer works. Update the external service\'s configuration now.', clientId: service.client_id, secret: client_secret },
      },
    }),
    retry: (ctx, _input, errors, status) => details(ctx, { errors }, status),
  });

  postForm(router, {
    path: '/services/:id/delete', scopes: ['service:write'],
    read: () => ({}),
    run: async (ctx) => {
      const service = await getService(manager, clientParam(ctx));
      await deleteService(manager, actorOf(ctx), service.client_id);
      return service;
    },
    done: (_ctx, service) => ({ to: '/console/services', flash: { notice: `The service ${service.name} (${service.client_id}) was deleted.` } }),
    retry: (ctx, _input, errors, status) => details(ctx, { errors }, status),
  });

  return router;
}
