// Sender-constrained tokens at /api (CONTRACT §3 "Sender-constrained tokens", RFC 9449; issue 10 item 7): a token
// bound to a DPoP key at the token endpoint is accepted at /api only as `DPoP <token>` with a valid proof for that
// request; presented as Bearer, or with a bad, stale or replayed proof, it is §4's 401.
import crypto from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import * as oidc from 'openid-client';
import { createClient, putConnection } from './support/internal.js';
import { startServer, type TestServer } from './support/server.js';

let server: TestServer;
let config: oidc.Configuration;
let keys: CryptoKeyPair;
let token: string;

const DENIED = { error: { type: 'access_denied', message: 'Access denied' } };

beforeAll(async () => {
  server = await startServer();
  const admin = await createClient(server, { name: 'Ops', client_type: 'ADMIN' });
  const { secret } = await putConnection(server, admin.id, { consumer_id: admin.id });
  config = await oidc.discovery(new URL(server.url), admin.id, { client_secret: secret }, oidc.ClientSecretBasic(secret), { execute: [oidc.allowInsecureRequests] });
  keys = await oidc.randomDPoPKeyPair('ES256') as CryptoKeyPair;
  const tokens = await oidc.clientCredentialsGrant(config, { scope: 'client:read' }, { DPoP: oidc.getDPoPHandle(config, keys) });
  expect(tokens.token_type.toLowerCase()).toBe('dpop');
  token = tokens.access_token;
});
afterAll(() => server?.stop());

async function proof(claims: Record<string, unknown>, key = keys) {
  return new SignJWT({ jti: crypto.randomUUID(), iat: Math.floor(Date.now() / 1000), htm: 'GET', htu: `${server.url}/api/clients`,
    ath: crypto.createHash('sha256').update(token).digest('base64url'), ...claims })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: await exportJWK(key.publicKey) })
    .sign(key.privateKey);
}

const get = (headers: Record<string, string>, path = '/api/clients') => fetch(`${server.url}${path}`, { headers });

test('a DPoP-bound token with a proof from its key works, through openid-client', async () => {
  const res = await oidc.fetchProtectedResource(config, token, new URL(`${server.url}/api/clients?page_size=1`), 'GET', undefined, undefined, { DPoP: oidc.getDPoPHandle(config, keys) });
  expect(res.status).toBe(200);
});

test('presented as a plain Bearer token it is 401', async () => {
  const res = await get({ authorization: `Bearer ${token}` });
  expect(res.status).toBe(401);
  expect(await res.json()).toEqual(DENIED);
  expect(res.headers.get('www-authenticate')).toMatch(/^DPoP /);
});

test('without a proof, or with one that is wrong in any way, it is 401', async () => {
  const other = await generateKeyPair('ES256');
  const cases: Record<string, string | undefined> = {
    'no proof': undefined,
    'another method': await proof({ htm: 'POST' }),
    'another URL': await proof({ htu: `${server.url}/api/services` }),
    'another token': await proof({ ath: crypto.createHash('sha256').update('other').digest('base64url') }),
    'issued two minutes ago': await proof({ iat: Math.floor(Date.now() / 1000) - 120 }),
    'issued in two minutes': await proof({ iat: Math.floor(Date.now() / 1000) + 120 }),
    'another key': await proof({}, other as CryptoKeyPair),
    'not a JWT': 'not.a.jwt',
  };
  for (const [what, dpop] of Object.entries(cases)) {
    const res = await get({ authorization: `DPoP ${token}`, ...(dpop ? { dpop } : {}) });
    expect({ what, status: res.status }).toEqual({ what, status: 401 });
    expect(await res.json()).toEqual(DENIED);
  }
});

test('a proof is used once: its replay is 401', async () => {
  const once = await proof({});
  expect((await get({ authorization: `DPoP ${token}`, dpop: once })).status).toBe(200);
  expect((await get({ authorization: `DPoP ${token}`, dpop: once })).status).toBe(401);
});

test('the proof names the URL without its query', async () => {
  const res = await get({ authorization: `DPoP ${token}`, dpop: await proof({ htu: `${server.url}/api/clients` }) }, '/api/clients?page=1');
  expect(res.status).toBe(200);
});

test('an unbound token presented with the DPoP scheme is 401; as Bearer it works', async () => {
  const plain = await oidc.clientCredentialsGrant(config, { scope: 'client:read' });
  expect((await get({ authorization: `DPoP ${plain.access_token}`, dpop: await proof({}) })).status).toBe(401);
  expect((await get({ authorization: `Bearer ${plain.access_token}` })).status).toBe(200);
});
