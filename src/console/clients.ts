// Clients → the list with search and paging, a client's connections, block and unblock; a connection's redirect
// URI, secret refresh and deletion (CONTRACT §7). The same domain functions and schemas as /api/clients (CONTRACT §4).
import Router from '@koa/router';
import type { Context } from 'koa';
import type { EntityManager } from 'typeorm';
import { CLIENT_TYPES, type ClientType } from '../../entities/index.js';
import { getClient, listClients, updateClient } from '../domain/clients.js';
import { deleteConnection, getConnection, listConnections, refreshSecret, updateRedirectUri, upsertConnection } from '../domain/connections.js';
import type { ConsoleRegistration } from '../domain/consoleClient.js';
import { Conflict, Invalid } from '../domain/errors.js';
import type { Secrets } from '../domain/secrets.js';
import { clientPatchBody } from '../schemas/clients.js';
import { redirectUri } from '../schemas/common.js';
import { clientParam, postForm, text, uuidParam, validator } from './forms.js';
import { page, pageParam, pager } from './render.js';
import { actorOf, may, need } from './session.js';

// No `format` here: updateRedirectUri checks the CONTRACT §4 rules itself and says which one failed.
const checkRedirect = validator({
  type: 'object', required: ['redirect_uri'], properties: { redirect_uri: { type: 'string', minLength: 1, maxLength: redirectUri.maxLength } },
}, { redirect_uri: `Enter an absolute URL of at most ${redirectUri.maxLength} characters.` });
const checkNewConnection = validator({
  type: 'object', required: ['consumer_id'],
  properties: { consumer_id: { type: 'string', minLength: 1, maxLength: 128 }, redirect_uri: { type: 'string', maxLength: redirectUri.maxLength } },
}, { consumer_id: 'Enter the Client ID of the consumer.', redirect_uri: `Enter an absolute URL of at most ${redirectUri.maxLength} characters.` });
const checkBlock = validator({
  type: 'object', properties: { block_reason: clientPatchBody.properties.block_reason },
}, { block_reason: `Keep the reason to at most ${clientPatchBody.properties.block_reason.maxLength} characters.` });

const clientUrl = (id: string) => `/console/clients/${encodeURIComponent(id)}`;

export function clientPages(manager: EntityManager, secrets: Secrets, registration: () => Promise<ConsoleRegistration | null>): Router {
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
    const client = await getClient(manager, clientParam(ctx));
    const consumer = text(ctx.query.consumer_id).slice(0, 128);
    const paged = pageParam(ctx);
    const connections = may(ctx, 'connection:read')
      ? await listConnections(manager, client.id, consumer ? { consumer_id: consumer } : {}, paged.page, paged.pageSize)
      : null;
    page(ctx, 'client.njk', {
      title: client.name, section: 'clients', client, connections: connections?.items, filter: { consumer_id: consumer },
      paging: connections ? pager(ctx, paged, connections.total) : null,
      isConsoleClient: client.id === (await registration())?.clientId, errors: {}, ...extra,
    }, status);
  };

  router.get('/clients/:id', need('client:read'), (ctx) => showClient(ctx));

  postForm(router, {
    path: '/clients/:id/block', scopes: ['client:write'],
    read: (form) => ({ block_reason: text(form.block_reason) }),
    check: checkBlock,
    run: async (ctx, form) => {
      // Blocking the console's own client would lock every administrator out; do that from the API if meant.
      if (clientParam(ctx) === (await registration())?.clientId) {
        throw Invalid.property('block_reason', 'console', 'the admin console\'s own client cannot be blocked from the console');
      }
      return updateClient(manager, actorOf(ctx), clientParam(ctx), { is_blocked: true, block_reason: form.block_reason || null });
    },
    conflictField: 'block_reason',
    done: (_ctx, client) => ({ to: clientUrl(client.id), flash: { notice: `${client.name} is blocked: its secrets fail and its tokens were revoked.` } }),
    retry: (ctx, form, errors, status) => showClient(ctx, { errors, openDialog: 'block-dialog', form }, status),
  });

  postForm(router, {
    path: '/clients/:id/unblock', scopes: ['client:write'],
    read: () => ({}),
    run: (ctx) => updateClient(manager, actorOf(ctx), clientParam(ctx), { is_blocked: false }),
    done: (_ctx, client) => ({ to: clientUrl(client.id), flash: { notice: `${client.name} is unblocked.` } }),
    retry: (ctx, _input, errors, status) => showClient(ctx, { errors }, status),
  });

  // "Add connection" (CONTRACT §7): never replaces; an existing connection's secret is refreshed on its own page.
  postForm(router, {
    path: '/clients/:id/connections', scopes: ['connection:write'],
    read: (form) => ({ consumer_id: text(form.consumer_id), redirect_uri: text(form.redirect_uri) }),
    check: checkNewConnection,
    run: async (ctx, form) => {
      const clientId = clientParam(ctx);
      if ((await listConnections(manager, clientId, { consumer_id: form.consumer_id }, 1, 1)).total) {
        throw new Conflict(`${form.consumer_id} already has a connection to this client: refresh its secret on its page.`);
      }
      return upsertConnection(manager, secrets, actorOf(ctx), clientId, {
        consumer_id: form.consumer_id, ...(form.redirect_uri ? { redirect_uri: form.redirect_uri } : {}),
      });
    },
    conflictField: 'consumer_id',
    done: (_ctx, { connection, secret }) => ({
      to: `${clientUrl(connection.client_id)}/connections/${connection.id}`,
      flash: {
        notice: `The connection of ${connection.consumer_id} was added.`,
        reveal: { kind: 'secret', heading: 'Connection secret', intro: 'Put it in the consumer\'s configuration now.', clientId: connection.client_id, secret },
      },
    }),
    retry: (ctx, form, errors, status) => showClient(ctx, { errors, openDialog: 'connection-dialog', connectionForm: form }, status),
  });

  const showConnection = async (ctx: Context, extra: Record<string, unknown> = {}, status = 200) => {
    const client = await getClient(manager, clientParam(ctx));
    const connection = await getConnection(manager, client.id, uuidParam(ctx, 'cid'));
    const consumer = connection.consumer_id === client.id ? client : await getClient(manager, connection.consumer_id);
    page(ctx, 'connection.njk', {
      title: `Connection of ${client.name}`, section: 'clients', client, connection, consumer, errors: {},
      isConsoleConnection: connection.id === (await registration())?.connectionId,
      form: { redirect_uri: connection.redirect_uri ?? '' }, ...extra,
    }, status);
  };
  const connectionUrl = (ctx: Context) => `${clientUrl(clientParam(ctx))}/connections/${uuidParam(ctx, 'cid')}`;

  router.get('/clients/:id/connections/:cid', need('connection:read'), (ctx) => showConnection(ctx));

  postForm(router, {
    path: '/clients/:id/connections/:cid', scopes: ['connection:write'],
    read: (form) => ({ redirect_uri: text(form.redirect_uri) }),
    check: checkRedirect,
    run: (ctx, form) => updateRedirectUri(manager, actorOf(ctx), clientParam(ctx), uuidParam(ctx, 'cid'), form.redirect_uri),
    conflictField: 'redirect_uri',
    done: (ctx, connection) => ({ to: connectionUrl(ctx), flash: { notice: `The redirect URI is now ${connection.redirect_uri}.` } }),
    retry: (ctx, form, errors, status) => showConnection(ctx, { errors, form }, status),
  });

  postForm(router, {
    path: '/clients/:id/connections/:cid/refresh_secret', scopes: ['connection:refresh_secret', 'connection:delete'],
    read: () => ({}),
    run: (ctx) => refreshSecret(manager, secrets, actorOf(ctx), clientParam(ctx), uuidParam(ctx, 'cid')),
    done: (ctx, { connection, secret }) => ({
      to: connectionUrl(ctx),
      flash: {
        notice: 'The connection has a new secret; the previous one and its tokens no longer work.',
        reveal: { kind: 'secret', heading: 'New secret', intro: 'The previous secret no longer works. Update the consumer\'s configuration now.', clientId: connection.client_id, secret },
      },
    }),
    retry: (ctx, _input, errors, status) => showConnection(ctx, { errors }, status),
  });

  postForm(router, {
    path: '/clients/:id/connections/:cid/delete', scopes: ['connection:delete'],
    read: () => ({}),
    run: async (ctx) => {
      const connection = await getConnection(manager, clientParam(ctx), uuidParam(ctx, 'cid'));
      await deleteConnection(manager, actorOf(ctx), connection.client_id, connection.id);
      return connection;
    },
    done: (_ctx, connection) => ({
      to: clientUrl(connection.client_id), flash: { notice: `The connection of ${connection.consumer_id} was deleted; its secret and tokens no longer work.` },
    }),
    retry: (ctx, _input, errors, status) => showConnection(ctx, { errors }, status),
  });

  return router;
}
