// Clients → the list with search and paging, a client's connections, block and unblock; a connection's redirect
// URI, secret refresh and deletion (CONTRACT §7). The same domain functions as /api/clients (CONTRACT §4).
import Router from '@koa/router';
import type { Context } from 'koa';
import type { EntityManager } from 'typeorm';
import { CLIENT_TYPES, type ClientType } from '../../entities/index.js';
import { clientPatchBody } from '../schemas/clients.js';
import { redirectUri } from '../schemas/common.js';
import { getClient, listClients, updateClient } from '../domain/clients.js';
import { deleteConnection, getConnection, listConnections, refreshSecret, updateRedirectUri } from '../domain/connections.js';
import type { Secrets } from '../domain/secrets.js';
import {
  type FieldErrors, actorOf, attempt, formOf, may, seeOther, need, page, pageParam, pager, param, text, uuidParam, validator,
} from './web.js';

// No `format` here: updateRedirectUri checks the CONTRACT §4 rules itself and says which one failed.
const checkRedirect = validator({
  type: 'object', required: ['redirect_uri'], properties: { redirect_uri: { type: 'string', minLength: 1, maxLength: redirectUri.maxLength } },
}, { redirect_uri: `Enter an absolute URL of at most ${redirectUri.maxLength} characters.` });
const checkBlock = validator({
  type: 'object', properties: { block_reason: clientPatchBody.properties.block_reason },
}, { block_reason: `Keep the reason to at most ${clientPatchBody.properties.block_reason.maxLength} characters.` });

export function clientPages(manager: EntityManager, secrets: Secrets, consoleClientId: () => Promise<string | undefined>): Router {
  const router = new Router();

  router.get('/clients', need('client:read'), async (ctx) => {
    const name = text(ctx.query.name).slice(0, 255);
    const type = text(ctx.query.client_type);
    const blocked = text(ctx.query.is_blocked);
    const paged = pageParam(ctx);
    const filter = {
      ...(name ? { name } : {}),
      ...((CLIENT_TYPES as readonly string[]).includes(type) ? { client_type: type as ClientType } : {}),
      ...(blocked === 'true' || blocked === 'false' ? { is_blocked: blocked === 'true' } : {}),
    };
    const { items, total } = await listClients(manager, filter, paged.page, paged.pageSize);
    page(ctx, 'clients.njk', {
      title: 'Clients', section: 'clients', clients: items, types: CLIENT_TYPES,
      filter: { name, client_type: type, is_blocked: blocked }, paging: pager(ctx, paged, total),
    });
  });

  const showClient = async (ctx: Context, extra: Record<string, unknown> = {}, status = 200) => {
    const client = await getClient(manager, param(ctx, 'id'));
    const consumer = text(ctx.query.consumer_id);
    const paged = pageParam(ctx);
    const connections = may(ctx, 'connection:read')
      ? await listConnections(manager, client.id, consumer ? { consumer_id: consumer } : {}, paged.page, paged.pageSize)
      : null;
    page(ctx, 'client.njk', {
      title: client.name, section: 'clients', client, connections: connections?.items, filter: { consumer_id: consumer },
      paging: connections ? pager(ctx, paged, connections.total) : null,
      isConsoleClient: client.id === (await consoleClientId()), errors: {}, ...extra,
    }, status);
  };

  router.get('/clients/:id', need('client:read'), (ctx) => showClient(ctx));

  router.post('/clients/:id/block', need('client:write'), async (ctx) => {
    const id = param(ctx, 'id');
    const form = { block_reason: text(formOf(ctx).block_reason) };
    let errors: FieldErrors | null = checkBlock(form);
    // Blocking the console's own client would lock every administrator out; do that from the API if meant.
    if (!errors && id === (await consoleClientId())) errors = { block_reason: ['the admin console\'s own client cannot be blocked from the console'] };
    if (!errors) {
      const result = await attempt(() => updateClient(manager, actorOf(ctx), id, { is_blocked: true, block_reason: form.block_reason || null }), 'block_reason');
      if ('ok' in result) return seeOther(ctx, `/console/clients/${encodeURIComponent(id)}`);
      errors = result.errors;
    }
    return showClient(ctx, { errors, openDialog: 'block-dialog', form }, 422);
  });

  router.post('/clients/:id/unblock', need('client:write'), async (ctx) => {
    const id = param(ctx, 'id');
    await updateClient(manager, actorOf(ctx), id, { is_blocked: false });
    seeOther(ctx, `/console/clients/${encodeURIComponent(id)}`);
  });

  const showConnection = async (ctx: Context, extra: Record<string, unknown> = {}, status = 200) => {
    const client = await getClient(manager, param(ctx, 'id'));
    const connection = await getConnection(manager, client.id, uuidParam(ctx, 'cid'));
    const consumer = connection.consumer_id === client.id ? client : await getClient(manager, connection.consumer_id);
    page(ctx, 'connection.njk', {
      title: `Connection of ${client.name}`, section: 'clients', client, connection, consumer, errors: {},
      form: { redirect_uri: connection.redirect_uri ?? '' }, ...extra,
    }, status);
  };

  router.get('/clients/:id/connections/:cid', need('connection:read'), (ctx) => showConnection(ctx));

  router.post('/clients/:id/connections/:cid', need('connection:write'), async (ctx) => {
    const form = { redirect_uri: text(formOf(ctx).redirect_uri) };
    let errors = checkRedirect(form);
    if (!errors) {
      const result = await attempt(
        () => updateRedirectUri(manager, actorOf(ctx), param(ctx, 'id'), uuidParam(ctx, 'cid'), form.redirect_uri), 'redirect_uri',
      );
      if ('ok' in result) return showConnection(ctx, { notice: 'The redirect URI was saved.' });
      errors = result.errors;
    }
    return showConnection(ctx, { errors, form }, 422);
  });

  router.post('/clients/:id/connections/:cid/refresh_secret', need('connection:refresh_secret', 'connection:delete'), async (ctx) => {
    const { secret } = await refreshSecret(manager, secrets, actorOf(ctx), param(ctx, 'id'), uuidParam(ctx, 'cid'));
    return showConnection(ctx, { newSecret: secret });
  });

  router.post('/clients/:id/connections/:cid/delete', need('connection:delete'), async (ctx) => {
    const id = param(ctx, 'id');
    await deleteConnection(manager, actorOf(ctx), id, uuidParam(ctx, 'cid'));
    seeOther(ctx, `/console/clients/${encodeURIComponent(id)}?deleted=1`);
  });

  return router;
}
