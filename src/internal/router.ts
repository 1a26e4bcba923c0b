// The internal listener (CONTRACT §6): operators' and back-office systems' doors, never served on PORT.
import Router from '@koa/router';
import type { Context } from 'koa';
import type { EntityManager } from 'typeorm';
import { connectionUpsertBody, newClientBody } from '../schemas/clients.js';
import { newUserBody } from '../schemas/users.js';
import { validateBody } from '../api/validation.js';
import type { Actor } from '../domain/audit.js';
import { createClient } from '../domain/clients.js';
import { upsertConnection } from '../domain/connections.js';
import type { Secrets } from '../domain/secrets.js';
import { createUser } from '../domain/users.js';

function internalActor(ctx: Context): Actor {
  return { type: 'client', id: 'gatehouse:internal', requestId: ctx.state.requestId ?? null };
}

export function internalRouter(manager: EntityManager, secrets: Secrets): Router {
  const router = new Router({ prefix: '/internal' });
  router.post('/clients', validateBody(newClientBody), async (ctx) => {
    ctx.status = 201;
    ctx.body = { data: await createClient(manager, internalActor(ctx), ctx.state.body) };
  });

  router.put('/clients/:id/connections', validateBody(connectionUpsertBody), async (ctx) => {
    const { connection, secret, created } = await upsertConnection(manager, secrets, internalActor(ctx), ctx.params.id, ctx.state.body);
    ctx.status = created ? 201 : 200;
    ctx.body = { data: { ...connection, secret } };
  });

  router.post('/users', validateBody(newUserBody), async (ctx) => {
    ctx.status = 201;
    ctx.body = { data: await createUser(manager, internalActor(ctx), ctx.state.body) };
  });

  return router;
}
