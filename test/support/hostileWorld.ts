// The data a hostile-input run aims at: callers with real tokens (ADMIN with every scope, a PRINT_SERVICE, an MSP),
// fresh victims for each batch (so a generated DELETE that succeeds does not leave later batches only 404s), real
// interactions at the login and consent prompts, a signed-in admin console, and a DPoP-bound token.
import crypto from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { bootstrapAdmin } from '../../src/domain/bootstrap.js';
import { accessToken, api, callerOfType, type ApiCaller } from './api.js';
import { consoleSignIn } from './consoleFetch.js';
import { Fingerprint, Secrets } from './hostile.js';
import { createClient, createUser, PASSWORD, putConnection, type TestConnection } from './internal.js';
import { authorize, Browser, relyingParty } from './oauth.js';
import { startServer, TEST_PEPPER, type TestServer } from './server.js';

export const RP_URI = 'https://rp.example/cb';
export const USER_EMAIL = 'nurse@clinic.example';
export const CONSOLE_EMAIL = 'admin@gatehouse.example';
export const CHALLENGE = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';

export interface Interaction {
  uid: string;
  /** The browser's cookies for it, as a Cookie header. */
  cookie: string;
}

export interface Victims {
  clientIds: string[];
  connectionIds: string[];
  serviceIds: string[];
  systemPrinterIds: string[];
  servicePrinterIds: string[];
  /** Consumers a connection may name. */
  consumerIds: string[];
  /** Access tokens of a victim client and its credentials, for introspection, revocation and userinfo. */
  tokens: string[];
  basic: [string, string];
}

export class World {
  victims!: Victims;
  loginInteraction!: Interaction;
  consentInteraction!: Interaction;
  consoleBrowser!: Browser;
  csrf!: string;
  catalog: string[] = [];
  /** A DPoP-bound ADMIN access token and the key it is bound to. */
  dpop!: { token: string; sign(claims: Record<string, unknown>): Promise<string> };
  private readonly session = new Browser();
  private round = 0;

  private constructor(
    readonly server: TestServer, readonly fp: Fingerprint, readonly secrets: Secrets,
    readonly admin: ApiCaller, readonly printer: ApiCaller, readonly msp: ApiCaller,
    readonly clinic: { id: string; conn: TestConnection },
  ) {}

  static async create(): Promise<World> {
    // TRUST_PROXY=1: generated sign-in attempts come from addresses of their own, so the set-up's sign-ins stay unthrottled.
    const server = await startServer({ env: { TRUST_PROXY: '1' } });
    const secrets = new Secrets();
    secrets.add(TEST_PEPPER, 'the pepper');
    const admin = await callerOfType(server, 'ADMIN');
    const printer = await callerOfType(server, 'PRINT_SERVICE', { permissions: ['printer:read'] });
    const msp = await callerOfType(server, 'MSP');
    const clinic = await createClient(server, { name: 'Clinic', client_type: 'PHARMACY' });
    const rpMis = await createClient(server, { name: 'RP MIS', client_type: 'MIS' });
    const conn = await putConnection(server, clinic.id, { consumer_id: rpMis.id, redirect_uri: RP_URI });
    await createUser(server, { email: USER_EMAIL, memberships: [{ client_id: clinic.id, scopes: [] }] });
    for (const c of [admin, printer, msp]) secrets.add(c.self.secret, `${c.client.client_type}'s secret`);
    secrets.add(conn.secret, "the clinic connection's secret");
    const world = new World(server, await Fingerprint.open(server.databaseUrl), secrets, admin, printer, msp, { id: clinic.id, conn });
    const { manager } = server.gatehouse.db.dataSource;
    await bootstrapAdmin(manager, server.gatehouse.secrets, server.url, CONSOLE_EMAIL, PASSWORD);
    // One real sign-in gives the session browser a session; consent interactions start from it.
    const rp = await relyingParty(server.url, clinic.id, conn.secret);
    await authorize(rp, server.url, { redirectUri: RP_URI, scope: 'openid', email: USER_EMAIL, browser: world.session });
    world.dpop = await dpopToken(server.url, admin);
    await world.refresh();
    return world;
  }

  /** Before each batch: fresh victims, live caller tokens, new interactions, a live console session. */
  async refresh(): Promise<void> {
    const { server, admin, printer, msp } = this;
    this.round++;
    for (const c of [admin, printer, msp]) c.token = await accessToken(server, c.client.id, c.self.secret, c.client.permissions);
    this.catalog = ((await api(server, 'GET', '/api/permissions?page_size=100', { token: admin.token })).body.data as Array<{ name: string }>).map((p) => p.name);
    this.victims = await this.makeVictims();
    this.loginInteraction = await this.startInteraction(new Browser());
    this.consentInteraction = await this.startInteraction(this.session, 'consent');
    await this.consoleSession();
    await this.secrets.addStoredHashes(this.fp.db);
  }

  private async makeVictims(): Promise<Victims> {
    const { server, admin, msp, secrets } = this;
    const tag = `${this.round}_${crypto.randomBytes(3).toString('hex')}`;
    const vMsp = await createClient(server, { name: `victim msp ${tag}`, client_type: 'MSP' });
    const vPharmacy = await createClient(server, { name: `victim pharmacy ${tag}`, client_type: 'PHARMACY' });
    const vMis = await createClient(server, { name: `victim mis ${tag}`, client_type: 'MIS' });
    const conns = [
      await putConnection(server, vMsp.id, { consumer_id: vMsp.id }),
      await putConnection(server, vMsp.id, { consumer_id: vMis.id, redirect_uri: `https://victim-${tag}.example/cb` }),
      await putConnection(server, vPharmacy.id, { consumer_id: vMis.id, redirect_uri: `https://pharmacy-${tag}.example/cb` }),
      await putConnection(server, msp.client.id, { consumer_id: vMis.id, redirect_uri: `https://msp-${tag}.example/cb` }),
    ];
    for (const c of conns) secrets.add(c.secret, "a victim connection's secret");
    const service = async (service_type: string, client_id: string, permissions: string[]) => {
      const res = await api(server, 'POST', '/api/services', { token: admin.token, body: { client_id, name: `victim ${service_type}`, service_type, permissions } });
      if (res.status !== 201) throw new Error(`victim service → ${res.status} ${res.text}`);
      secrets.add(res.body.data.client_secret, "a victim service's secret");
      return res.body.data.client_secret as string;
    };
    const printId = `victim_print_${tag}`;
    const integrationId = `victim_integration_${tag}`;
    const printSecret = await service('PRINT_SERVICE', printId, []);
    await service('INTEGRATION', integrationId, ['client:read']);
    const printToken = await accessToken(server, printId, printSecret, ['printer:report']);
    const reported = await api(server, 'PUT', '/api/print_service/printers', {
      token: printToken, body: { printers: [{ system_name: 'lp0', status: 'online' }, { system_name: 'lp1', status: 'offline' }] },
    });
    const systemPrinterIds = (reported.body.data as Array<{ id: string }>).map((p) => p.id);
    const assigned = await api(server, 'POST', `/api/services/${printId}/printers`, { token: admin.token, body: { printer_id: systemPrinterIds[0], name: 'Front desk' } });
    if (assigned.status !== 201) throw new Error(`assign printer → ${assigned.status} ${assigned.text}`);
    const tokens = [await accessToken(server, vMsp.id, conns[0].secret, ['client:read']), await accessToken(server, vMsp.id, conns[0].secret, [])];
    return {
      clientIds: [vMsp.id, vPharmacy.id, vMis.id, printId, integrationId],
      connectionIds: conns.map((c) => c.id),
      serviceIds: [printId, integrationId],
      systemPrinterIds,
      servicePrinterIds: [assigned.body.data.id],
      consumerIds: [vMis.id, vMsp.id],
      tokens,
      basic: [vMsp.id, conns[0].secret],
    };
  }

  /** An authorization request for the clinic, stopped at its first interaction page. */
  private async startInteraction(browser: Browser, prompt?: string): Promise<Interaction> {
    const query = new URLSearchParams({
      client_id: this.clinic.id, redirect_uri: RP_URI, response_type: 'code', scope: 'openid', state: `s${this.round}`,
      code_challenge: CHALLENGE, code_challenge_method: 'S256', ...(prompt ? { prompt } : {}),
    });
    const res = await browser.get(`${this.server.url}/auth?${query}`);
    const uid = /\/interaction\/([^/?#]+)/.exec(res.headers.get('location') ?? '')?.[1];
    if (res.status !== 303 || !uid) throw new Error(`no interaction: ${res.status} ${res.headers.get('location')}`);
    const page = await browser.get(`${this.server.url}/interaction/${uid}`);
    if (page.status !== 200) throw new Error(`interaction page → ${page.status}`);
    return { uid, cookie: [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ') };
  }

  /** A console session and a CSRF token of it, signing in again when a generated request ended it. */
  private async consoleSession(): Promise<void> {
    const form = async () => {
      const res = await this.consoleBrowser.get(`${this.server.url}/console/services/new`);
      return res.status === 200 ? /name="_csrf" value="([^"]+)"/.exec(await res.text())?.[1] : undefined;
    };
    let csrf = this.consoleBrowser ? await form() : undefined;
    if (!csrf) {
      this.consoleBrowser = (await consoleSignIn(this.server.url, CONSOLE_EMAIL)).browser;
      csrf = await form();
    }
    if (!csrf) throw new Error('no console session');
    this.csrf = csrf;
  }

  get consoleCookie(): string {
    return [...this.consoleBrowser.cookies].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  async close(): Promise<void> {
    await this.fp.close();
    await this.server.stop();
  }
}

/** A client_credentials token bound (RFC 9449) to a new key, and a signer of proofs with that key. */
async function dpopToken(issuer: string, admin: ApiCaller) {
  const { publicKey, privateKey } = await generateKeyPair('ES256');
  const jwk = await exportJWK(publicKey);
  const sign = (claims: Record<string, unknown>) => new SignJWT(claims).setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk }).sign(privateKey);
  const proof = await sign({ htm: 'POST', htu: `${issuer}/token`, jti: crypto.randomUUID(), iat: Math.floor(Date.now() / 1000) });
  const res = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded', dpop: proof,
      authorization: `Basic ${Buffer.from(`${admin.client.id}:${admin.self.secret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'client:read' }),
  });
  const body = (await res.json()) as { access_token?: string; token_type?: string };
  if (!body.access_token || body.token_type !== 'DPoP') throw new Error(`no DPoP token: ${JSON.stringify(body)}`);
  return { token: body.access_token, sign };
}
