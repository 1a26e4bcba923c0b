// Clients → "Add client" (CONTRACT §7): the same domain function and rules as POST /internal/clients (CONTRACT §6).
import Router from '@koa/router';
import type { Context } from 'koa';
import type { EntityManager } from 'typeorm';
import { CLIENT_TYPES, type ClientType } from '../../entities/index.js';
import { isService } from '../domain/clientTypes.js';
import { createClient } from '../domain/clients.js';
import { displayName } from '../schemas/common.js';
import { type FieldErrors, postForm, text, validator } from './forms.js';
import { page } from './render.js';
import { actorOf, need } from './session.js';

/** Services are added on their own page (Configuration → Services), with a System ID. */
const TYPES = CLIENT_TYPES.filter((t) => !isService(t));

const checkClient = validator({
  type: 'object', required: ['name', 'client_type'],
  properties: { name: displayName, client_type: { type: 'string', enum: TYPES } },
}, { name: 'Enter a name of 1 to 255 characters that is not only spaces.', client_type: `Choose one of ${TYPES.join(', ')}.` });

const clientUrl = (id: string) => `/console/clients/${encodeURIComponent(id)}`;

export function clientCreationPages(manager: EntityManager): Router {
  const router = new Router();
  const newForm = (ctx: Context, form: object, errors: FieldErrors = {}, status = 200) =>
    page(ctx, 'client-new.njk', { title: 'Add client', section: 'clients', types: TYPES, form, errors }, status);

  router.get('/clients/new', need('client:write'), (ctx) => newForm(ctx, { client_type: 'MIS' }));

  postForm(router, {
    path: '/clients', scopes: ['client:write'],
    read: (form) => ({ name: text(form.name), client_type: text(form.client_type) as ClientType }),
    check: checkClient,
    run: (ctx, form) => createClient(manager, actorOf(ctx), form),
    done: (_ctx, client) => ({ to: clientUrl(client.id), flash: { notice: `${client.name} was added. Add a connection to give it a secret.` } }),
    retry: (ctx, form, errors, status) => newForm(ctx, form, errors, status),
  });

  return router;
}
