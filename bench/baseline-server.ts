// The baseline: stock oidc-provider with one static client and its in-memory storage, mounted the way
// src/app.ts mounts Gatehouse (a node http server that sends /interaction to a small Koa app and everything
// else to provider.callback()). The interaction logs in and consents at once, so codes can be minted fast.
// Env: PORT, CODE_TTL. Prints one JSON line {"ready": true, "url": ...} on stdout when listening.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import Router from '@koa/router';
import Provider, { type Configuration } from 'oidc-provider';
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';
import LRU from 'oidc-provider/lib/helpers/lru.js';
import { BASELINE_CLIENT } from './fixtures.js';

const port = Number(process.env.PORT ?? 0);
const codeTtl = Number(process.env.CODE_TTL ?? 3600);
const issuer = `http://127.0.0.1:${port}`;

// The stock memory adapter, with room for every code a run mints (its default LRU keeps 1,000 entries).
const store = new LRU({ maxSize: 1_000_000 });

const provider = new Provider(issuer, {
  adapter: ((model: string) => new MemoryAdapter(model, store)) as unknown as Configuration['adapter'],
  clients: [{
    client_id: BASELINE_CLIENT.id,
    client_secret: BASELINE_CLIENT.secret,
    redirect_uris: [BASELINE_CLIENT.redirectUri],
    response_types: ['code'],
    grant_types: ['authorization_code', 'refresh_token', 'client_credentials'],
    token_endpoint_auth_method: 'client_secret_basic',
    scope: `openid offline_access ${BASELINE_CLIENT.scope}`,
  }],
  scopes: ['openid', 'offline_access', BASELINE_CLIENT.scope],
  cookies: { keys: ['bench-baseline-cookie-key-0123456789'] },
  pkce: { required: () => true },
  rotateRefreshToken: true,
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    introspection: { enabled: true, allowedPolicy: async () => true },
    revocation: { enabled: true },
  },
  ttl: { AuthorizationCode: codeTtl, AccessToken: 3600, ClientCredentials: 3600, RefreshToken: 86_400, Grant: 86_400, Interaction: 3600, Session: 86_400, IdToken: 3600 },
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
});

if (process.env.BENCH_DEBUG) {
  let shown = 0;
  provider.on('grant.error', (_ctx, err) => {
    if (shown++ < 5) process.stderr.write(`baseline grant.error: ${(err as { error_detail?: string }).error_detail ?? err.message}\n`);
  });
}

// Logs in as "bench-user" and grants whatever was asked: the baseline's equivalent of a user who clicks through.
const router = new Router({ prefix: '/interaction' });
router.get('/:uid', async (ctx) => {
  const details = await provider.interactionDetails(ctx.req, ctx.res);
  if (details.prompt.name === 'login') {
    ctx.respond = false;
    await provider.interactionFinished(ctx.req, ctx.res, { login: { accountId: 'bench-user' } }, { mergeWithLastSubmission: false });
    return;
  }
  const grant = details.grantId
    ? (await provider.Grant.find(details.grantId))!
    : new provider.Grant({ accountId: details.session!.accountId, clientId: String(details.params.client_id) });
  grant.addOIDCScope(String(details.params.scope ?? 'openid'));
  const grantId = await grant.save();
  ctx.respond = false;
  await provider.interactionFinished(ctx.req, ctx.res, { consent: { grantId } }, { mergeWithLastSubmission: true });
});

const app = new Koa();
app.use(router.routes());

const OWN_PATHS = /^\/(api|console|interaction|health)(\/|\?|$)/;
const own = app.callback();
const oidc = provider.callback();
const server = http.createServer((req, res) => (OWN_PATHS.test(req.url ?? '/') ? own(req, res) : oidc(req, res)));
server.listen(port, '127.0.0.1', () => {
  const actual = (server.address() as AddressInfo).port;
  process.stdout.write(`${JSON.stringify({ ready: true, url: `http://127.0.0.1:${actual}` })}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
