// Users (CONTRACT §7, §8): the list with search by email and filters by client and blocked; "Add user" with the setup
// link shown once on the page the 303 leads to; a user's page with block and unblock, the memberships editor (the
// catalog's permissions as checkboxes), reset password, unlock, grants with revoke, sign out everywhere, deletion.
// The same domain functions and schemas as /api/users.
import Router from '@koa/router';
import type { Context } from 'koa';
import type { EntityManager } from 'typeorm';
import { recordAudit } from '../domain/audit.js';
import { listClients } from '../domain/clients.js';
import { Invalid, NotFound } from '../domain/errors.js';
import { listUserGrants, revokeUserGrant } from '../domain/grants.js';
import { listPermissions } from '../domain/permissions.js';
import { removeSecondFactor } from '../domain/secondFactor.js';
import type { Secrets } from '../domain/secrets.js';
import {
  createUser, deleteUser, getUser, listUsers, resetPassword, signOutEverywhere, unlockUser, updateUser,
} from '../domain/users.js';
import { deleteMembership, putMembership } from '../domain/memberships.js';
import { userPatchBody } from '../schemas/users.js';
import { type FieldErrors, clientParam, list, postForm, text, uuidParam, validator } from './forms.js';
import { page, pageParam, pager } from './render.js';
import { actorOf, need } from './session.js';

const checkNewUser = validator({
  type: 'object', required: ['email'],
  properties: { email: { type: 'string', format: 'email', maxLength: 254 }, name: { type: 'string', maxLength: 255 } },
}, { email: 'Enter an email address of at most 254 characters.', name: 'Keep the name to at most 255 characters.' });
const checkBlock = validator({
  type: 'object', properties: { block_reason: userPatchBody.properties.block_reason },
}, { block_reason: 'Keep the reason to at most 1000 characters.' });
const checkMembership = validator({
  type: 'object', required: ['client_id'], properties: { client_id: { type: 'string', minLength: 1, maxLength: 128 } },
}, { client_id: 'Choose a client.' });

const userUrl = (id: string) => `/console/users/${id}`;
/** Clients offered in the pickers: the first hundred by name order is enough for a select; the API has the rest. */
const PICKER_SIZE = 100;

export function userPages(manager: EntityManager, secrets: Secrets, issuer: string): Router {
  const router = new Router();
  const links = { secrets, issuer };
  const clients = async () => (await listClients(manager, {}, 1, PICKER_SIZE)).items;
  const userParam = (ctx: Context) => uuidParam(ctx, 'id');

  router.get('/users', need('user:read'), async (ctx) => {
    const email = text(ctx.query.email).slice(0, 254);
    const clientId = text(ctx.query.client_id).slice(0, 128);
    const blocked = text(ctx.query.is_blocked);
    const paged = pageParam(ctx);
    const { items, total } = await listUsers(manager, {
      ...(email ? { email } : {}), ...(clientId ? { client_id: clientId } : {}),
      ...(blocked === 'true' || blocked === 'false' ? { is_blocked: blocked === 'true' } : {}),
    }, paged.page, paged.pageSize);
    page(ctx, 'users.njk', {
      title: 'Users', section: 'users', users: items, clients: await clients(),
      filter: { email, client_id: clientId, is_blocked: blocked }, paging: pager(ctx, paged, total),
    });
  });

  const newForm = async (ctx: Context, form: object, errors: FieldErrors = {}, status = 200) => page(ctx, 'user-new.njk', {
    title: 'Add user', section: 'users', clients: await clients(), permissions: await listPermissions(manager), form, errors,
  }, status);

  router.get('/users/new', need('user:write'), (ctx) => newForm(ctx, { permissions: [] }));

  postForm(router, {
    path: '/users', scopes: ['user:write'],
    read: (form) => ({ email: text(form.email), name: text(form.name), client_id: text(form.client_id), permissions: list(form.permissions) }),
    check: checkNewUser,
    run: (ctx, form) => createUser(manager, actorOf(ctx), {
      email: form.email, name: form.name,
      memberships: form.client_id ? [{ client_id: form.client_id, scopes: form.permissions }] : [],
    }, links),
    conflictField: 'email',
    done: (_ctx, user) => ({
      to: userUrl(user.id),
      flash: {
        notice: `${user.email} was added. Give them the password setup link below.`,
        reveal: {
          kind: 'link', heading: 'Password setup link', label: 'Password setup link', url: user.password_setup_url!,
          intro: `The user sets a password with this link. It works once, until ${user.password_setup_expires_at}.`,
        },
      },
    }),
    retry: (ctx, form, errors, status) => newForm(ctx, form, errors, status),
  });

  const showUser = async (ctx: Context, extra: Record<string, unknown> = {}, status = 200) => {
    const user = await getUser(manager, userParam(ctx));
    const allClients = await clients();
    const names = new Map(allClients.map((c) => [c.id, c.name]));
    page(ctx, 'user.njk', {
      title: user.email, section: 'users', user, grants: await listUserGrants(manager, user.id),
      permissions: await listPermissions(manager), clients: allClients.filter((c) => !user.memberships.some((m) => m.client_id === c.id)),
      clientNames: Object.fromEntries(names), errors: {}, ...extra,
    }, status);
  };

  router.get('/users/:id', need('user:read'), (ctx) => showUser(ctx));

  const retry = <I>(ctx: Context, _input: I, errors: FieldErrors, status: number) => showUser(ctx, { errors }, status);

  postForm(router, {
    path: '/users/:id/block', scopes: ['user:write'],
    read: (form) => ({ block_reason: text(form.block_reason) }),
    check: checkBlock,
    run: (ctx, form) => updateUser(manager, actorOf(ctx), userParam(ctx), { is_blocked: true, block_reason: form.block_reason || null }),
    done: (_ctx, user) => ({ to: userUrl(user.id), flash: { notice: `${user.email} is blocked: their sessions ended and their grants and tokens were revoked.` } }),
    retry: (ctx, form, errors, status) => showUser(ctx, { errors, openDialog: 'block-dialog', form }, status),
  });

  postForm(router, {
    path: '/users/:id/unblock', scopes: ['user:write'],
    read: () => ({}),
    run: (ctx) => updateUser(manager, actorOf(ctx), userParam(ctx), { is_blocked: false }),
    done: (_ctx, user) => ({ to: userUrl(user.id), flash: { notice: `${user.email} is unblocked.` } }),
    retry,
  });

  postForm(router, {
    path: '/users/:id/memberships', scopes: ['user:write'],
    read: (form) => ({ client_id: text(form.client_id), permissions: list(form.permissions) }),
    check: checkMembership,
    run: async (ctx, form) => {
      try {
        return await putMembership(manager, actorOf(ctx), userParam(ctx), form.client_id, form.permissions);
      } catch (err) {
        // The user exists (the page was shown): an unknown client is a problem with the chosen client.
        if (err instanceof NotFound) throw Invalid.property('client_id', 'existence', 'There is no such client.');
        throw err;
      }
    },
    done: (ctx, { membership }) => ({ to: userUrl(userParam(ctx)), flash: { notice: `Membership of ${membership.client_id} saved: ${membership.scopes.join(' ') || 'no scopes'}.` } }),
    retry,
  });

  postForm(router, {
    path: '/users/:id/memberships/:cid', scopes: ['user:write'],
    read: (form) => ({ permissions: list(form.permissions) }),
    run: (ctx, form) => putMembership(manager, actorOf(ctx), userParam(ctx), clientParam(ctx, 'cid'), form.permissions),
    done: (ctx, { membership }) => ({ to: userUrl(userParam(ctx)), flash: { notice: `Membership of ${membership.client_id} saved: ${membership.scopes.join(' ') || 'no scopes'}.` } }),
    retry,
  });

  postForm(router, {
    path: '/users/:id/memberships/:cid/delete', scopes: ['user:write'],
    read: () => ({}),
    run: (ctx) => deleteMembership(manager, actorOf(ctx), userParam(ctx), clientParam(ctx, 'cid')),
    done: (ctx) => ({ to: userUrl(userParam(ctx)), flash: { notice: `Membership of ${clientParam(ctx, 'cid')} removed; the user's grant and tokens there were revoked.` } }),
    retry,
  });

  postForm(router, {
    path: '/users/:id/reset_password', scopes: ['user:write'],
    read: () => ({}),
    run: (ctx) => resetPassword(manager, links, actorOf(ctx), userParam(ctx)),
    done: (ctx, link) => ({
      to: userUrl(userParam(ctx)),
      flash: {
        notice: 'The password was reset: the old one no longer works and the user\'s sessions ended.',
        reveal: { kind: 'link', heading: 'Password setup link', label: 'Password setup link', url: link.url, intro: `It works once, until ${link.expires_at}.` },
      },
    }),
    retry,
  });

  postForm(router, {
    path: '/users/:id/unlock', scopes: ['user:write'],
    read: () => ({}),
    run: (ctx) => unlockUser(manager, actorOf(ctx), userParam(ctx)),
    done: (ctx, { email, cleared }) => ({
      to: userUrl(userParam(ctx)), flash: { notice: cleared ? `${email} is unlocked: they may try to sign in again.` : `${email} was not locked out.` },
    }),
    retry,
  });

  postForm(router, {
    path: '/users/:id/grants/:cid/revoke', scopes: ['user:write'],
    read: () => ({}),
    run: async (ctx) => {
      const userId = userParam(ctx);
      const clientId = clientParam(ctx, 'cid');
      await manager.transaction(async (tx) => {
        if (!(await revokeUserGrant(tx, userId, clientId))) throw new NotFound();
        await recordAudit(tx, actorOf(ctx), 'grant.revoke', { type: 'user', id: userId }, { client_id: clientId });
      });
      return clientId;
    },
    done: (ctx, clientId) => ({ to: userUrl(userParam(ctx)), flash: { notice: `Access granted to ${clientId} was revoked, with its tokens.` } }),
    retry,
  });

  // CONTRACT §11: an administrator removes the second factor of a user who lost the phone and the recovery codes
  // (the console's form of DELETE /api/users/{id}/mfa, the same domain function).
  postForm(router, {
    path: '/users/:id/mfa_remove', scopes: ['user:write'],
    read: () => ({}),
    run: (ctx) => removeSecondFactor(manager, actorOf(ctx), userParam(ctx)),
    done: (ctx) => ({
      to: userUrl(userParam(ctx)),
      flash: { notice: 'The second factor was removed: the user signs in with the password alone until they enrol again.' },
    }),
    retry,
  });

  postForm(router, {
    path: '/users/:id/sign_out', scopes: ['user:write'],
    read: () => ({}),
    run: (ctx) => signOutEverywhere(manager, actorOf(ctx), userParam(ctx)),
    done: (ctx) => ({ to: userUrl(userParam(ctx)), flash: { notice: 'Every session of the user ended: they must sign in again.' } }),
    retry,
  });

  postForm(router, {
    path: '/users/:id/delete', scopes: ['user:write'],
    read: () => ({}),
    run: async (ctx) => {
      const user = await getUser(manager, userParam(ctx));
      await deleteUser(manager, actorOf(ctx), user.id);
      return user;
    },
    done: (_ctx, user) => ({ to: '/console/users', flash: { notice: `${user.email} was deleted; everything they held was revoked.` } }),
    retry,
  });

  return router;
}
