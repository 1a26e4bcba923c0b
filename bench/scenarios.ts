// The scenarios of issue 6: what one request of each looks like on a target (Gatehouse or the baseline).
import { BASELINE_CLIENT } from './fixtures.js';
import { type MintedCode, codeExchangeBody } from './flows.js';
import type { LoadJob } from './load.js';
import type { Target } from './seed.js';

export interface RoundShape {
  connections: number;
  duration: number;
  /** Code exchanges per round (each needs its own pre-minted code). */
  codes: number;
}

/** Codes and refresh tokens minted for a target, consumed by the rounds. */
export interface Minted {
  codes: MintedCode[];
  refreshTokens: string[];
}

export interface Scenario {
  name: string;
  what: string;
  /** Median ratio Gatehouse/baseline this scenario must reach (issue 6 §4), if any. */
  target?: number;
  /** Part of the scale run's "token and authorization scenarios". */
  scale: boolean;
  /** The job for one round, or undefined when the target has no such endpoint. */
  job(t: Target, minted: Minted, shape: RoundShape): Omit<LoadJob, 'connections' | 'duration'> | undefined;
  /** Keeps what a round left (rotated refresh tokens) for the next round. */
  after?(minted: Minted, leftover: string[]): void;
}

const FORM = 'application/x-www-form-urlencoded';

export const SCENARIOS: Scenario[] = [
  {
    name: 'client_credentials',
    what: `POST /token grant_type=client_credentials scope=${BASELINE_CLIENT.scope}, client_secret_basic`,
    target: 0.5,
    scale: true,
    job: (t) => ({
      url: t.server.url, method: 'POST', path: '/token',
      headers: { 'content-type': FORM, authorization: t.ccBasic },
      body: `grant_type=client_credentials&scope=${encodeURIComponent(BASELINE_CLIENT.scope)}`,
      expectStatus: 200, expectBody: '"access_token"',
    }),
  },
  {
    name: 'code_exchange',
    what: 'POST /token grant_type=authorization_code with a pre-minted code and its PKCE verifier (each code once)',
    target: 0.5,
    scale: true,
    job: (t, minted, shape) => {
      const codes = minted.codes.splice(0, shape.codes + 2 * 64);
      return {
        url: t.server.url, method: 'POST', path: '/token',
        headers: { 'content-type': FORM, authorization: t.flow.basic },
        body: '{item}', items: codes.map((m) => codeExchangeBody(t.flow, m)), amount: Math.min(shape.codes, codes.length),
        expectStatus: 200, expectBody: '"id_token"',
      };
    },
  },
  {
    name: 'refresh',
    what: 'POST /token grant_type=refresh_token; each response\'s rotated refresh token is the next request\'s',
    scale: false,
    job: (t, minted) => ({
      url: t.server.url, method: 'POST', path: '/token',
      headers: { 'content-type': FORM, authorization: t.flow.basic },
      body: 'grant_type=refresh_token&refresh_token={item}', items: minted.refreshTokens.splice(0), rotate: 'refresh_token',
      expectStatus: 200, expectBody: '"refresh_token"',
    }),
    after: (minted, leftover) => minted.refreshTokens.push(...leftover),
  },
  {
    name: 'introspection',
    what: 'POST /token/introspection of an active client_credentials token, by an ADMIN client (baseline: its client)',
    target: 0.6,
    scale: false,
    job: (t) => ({
      url: t.server.url, method: 'POST', path: '/token/introspection',
      headers: { 'content-type': FORM, authorization: t.introspectBasic },
      body: `token=${t.introspectToken}`,
      expectStatus: 200, expectBody: '"active":true',
    }),
  },
  {
    name: 'authorize_1',
    what: 'GET /auth, first request (no session) for a client with 1 connection → 303 to the login page',
    scale: true,
    job: (t) => ({ url: t.server.url, method: 'GET', path: t.authOne, headers: {}, expectStatus: 303 }),
  },
  {
    name: 'authorize_100k',
    what: 'GET /auth, first request for a client with 100,000 connections (baseline: its one client) → 303',
    scale: true,
    job: (t) => ({ url: t.server.url, method: 'GET', path: t.authBig, headers: {}, expectStatus: 303 }),
  },
  {
    name: 'api_connections',
    what: 'GET /api/clients/{id}/connections with an ADMIN bearer token (connection:read); Gatehouse only',
    scale: false,
    job: (t) => t.api && ({
      url: t.server.url, method: 'GET', path: t.api.path, headers: { authorization: `Bearer ${t.api.token}` },
      expectStatus: 200, expectBody: '"data"',
    }),
  },
];
