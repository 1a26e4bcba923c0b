// Permissions (CONTRACT §7): the catalog with descriptions, and adding one (as POST /api/permissions).
import Router from '@koa/router';
import type { Context } from 'koa';
import type { EntityManager } from 'typeorm';
import { createPermission, listPermissions } from '../domain/permissions.js';
import { newPermissionBody } from '../schemas/catalog.js';
import { type FieldErrors, postForm, text, validator } from './forms.js';
import { page } from './render.js';
import { actorOf, need } from './session.js';

const checkPermission = validator(newPermissionBody, {
  name: 'Enter a name like prescription:read: lower-case letters, digits and _, a colon in between.',
  description: 'Enter a description.',
});

export function permissionPages(manager: EntityManager): Router {
  const router = new Router();
  const show = async (ctx: Context, form: object = {}, errors: FieldErrors = {}, status = 200) => page(ctx, 'permissions.njk', {
    title: 'Permissions', section: 'permissions', permissions: await listPermissions(manager), form, errors,
  }, status);

  // For those who add to the catalog or hand its scopes out in memberships; /api shows it to any valid token.
  router.get('/permissions', need('permission:write', 'user:read'), (ctx) => show(ctx));

  postForm(router, {
    path: '/permissions', scopes: ['permission:write'],
    read: (form) => ({ name: text(form.name), description: text(form.description) }),
    check: checkPermission,
    run: (ctx, form) => createPermission(manager, actorOf(ctx), form),
    conflictField: 'name',
    done: (_ctx, p) => ({ to: '/console/permissions', flash: { notice: `${p.name} was added to the catalog.` } }),
    retry: (ctx, form, errors, status) => show(ctx, form, errors, status),
  });
  return router;
}
