// CONTRACT §3 under concurrency, many rounds each: login throttling holds for a burst of simultaneous attempts;
// of concurrent redemptions of one code or one refresh token exactly one succeeds and the replay revokes what it
// produced; a user who may not sign in through a client gets access_denied, never a code, even posting the consent
// form straight away. The flows go through openid-client (support/oauth.ts); the races are raw fetch.
import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { createClient, createUser, PASSWORD, putConnection, type TestClient, type TestConnection } from './support/internal.js';
import { authorize, Browser, introspect, relyingParty, tokenRequest } from './support/oauth.js';
import { startServer, type TestServer } from './support/server.js';

let server: TestServer;
let clinic: TestClient;
let conn: TestConnection;
let admin: [string, string];
const URI = 'https://mis.example/cb';
const EMAIL = 'doctor@clinic.example';

beforeAll(async () => {
  // TRUST_PROXY=1: each throttling round comes from an address of its own (X-Forwarded-For), as behind a proxy.
  server = await startServer({ env: { TRUST_PROXY: '1' } });
  clinic = await createClient(server, { name: 'Clinic', client_type: 'PHARMACY' });
  const mis = await createClient(server, { name: 'MIS', client_type: 'MIS' });
  conn = await putConnection(server, clinic.id, { consumer_id: mis.id, redirect_uri: URI });
  await createUser(server, { email: EMAIL, memberships: [{ client_id: clinic.id, scopes: [] }] });
  const adm = await createClient(server, { name: 'Admin', client_type: 'ADMIN' });
  admin = [adm.id, (await putConnection(server, adm.id, { consumer_id: adm.id })).secret];
});
afterAll(() => server?.stop());

const sql = (text: string, values: unknown[] = []) => server.gatehouse.db.pool.query(text, values).then((r) => r.rows);

/** The first interaction of an authorization request for the clinic: its uid and the browser's cookies. */
async function interaction(browser = new Browser(), clientId = clinic.id, redirectUri = URI, extra: Record<string, string> = {}) {
  const query = new URLSearchParams({
    client_id: clientId, redirect_uri: redirectUri, response_type: 'code', scope: 'openid', state: crypto.randomUUID(),
    code_challenge: crypto.createHash('sha256').update('v'.repeat(43)).digest('base64url'), code_challenge_method: 'S256', ...extra,
  });
  const res = await browser.get(`${server.url}/auth?${query}`);
  const uid = /\/interaction\/([^/?#]+)/.exec(res.headers.get('location') ?? '')?.[1];
  if (!uid) throw new Error(`no interaction: ${res.status} ${res.headers.get('location')}`);
  return { uid, cookie: [...browser.cookies].map(([k, v]) => `${k}=${v}`).join('; ') };
}

describe('login throttling holds under concurrency', () => {
  const ROUNDS = 6;
  const BURST = 200;

  test(`${ROUNDS} rounds of ${BURST} simultaneous wrong passwords and the right one: at most 5 are checked, the rest 429 with Retry-After`, async () => {
    let rightGotIn = 0;
    const rounds: Array<Record<string, unknown>> = [];
    for (let round = 0; round < ROUNDS; round++) {
      const email = `burst${round}@clinic.example`;
      await createUser(server, { email, memberships: [{ client_id: clinic.id, scopes: [] }] });
      const { uid, cookie } = await interaction();
      const address = `10.20.${round}.7`;
      const attempt = (password: string) => fetch(`${server.url}/interaction/${uid}/login`, {
        method: 'POST', redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, 'x-forwarded-for': address },
        body: new URLSearchParams({ email, password }).toString(),
      });
      // The right password sits somewhere else in the burst each round: among the first five (where it may be
      // checked and succeed, and must not reopen the door for the wrong ones after it) and later.
      const right = [0, 2, 4, 40, 120, BURST][round];
      const passwords = Array.from({ length: BURST + 1 }, (_, i) => (i === right ? PASSWORD : `wrong password ${i}`));
      const answers = await Promise.all(passwords.map(attempt));
      const statuses = answers.map((a) => a.status);
      const rightStatus = statuses[right];
      if (rightStatus === 303) rightGotIn++;
      const [failed] = await sql("SELECT count(*)::int AS n FROM audit_events WHERE action = 'user.sign_in_failed' AND details->>'email' = $1", [email]);
      const [signIns] = await sql("SELECT count(*)::int AS n FROM audit_events e JOIN users u ON u.id::text = e.actor_id WHERE e.action = 'user.sign_in' AND lower(u.email) = $1", [email]);
      // Throttled, so never checked: the right password did not sign in, and the interaction still asks for a login.
      const page = rightStatus === 429 ? await fetch(`${server.url}/interaction/${uid}`, { headers: { cookie }, redirect: 'manual' }) : undefined;
      rounds.push({
        round,
        statuses: tally(statuses),
        checkedAtMost5: statuses.filter((s) => s !== 429).length <= 5,
        wrongCheckedAtMost5: statuses.filter((s) => s === 401).length <= 5,
        onlyExpectedStatuses: statuses.every((s) => s === 429 || s === 401 || s === 303),
        every429HasRetryAfter: answers.every((a) => a.status !== 429 || Number(a.headers.get('retry-after')) > 0),
        // Each checked wrong password is a recorded failed sign-in; nothing else is.
        failedSignInsRecorded: failed.n === statuses.filter((s) => s === 401).length,
        rightPassword: rightStatus === 303 ? 'signed in' : rightStatus === 429 && signIns.n === 0 && page?.status === 200 && /name="password"/.test(await page.text()) ? 'throttled, not signed in' : `${rightStatus} with ${signIns.n} sign-ins`,
      });
    }
    console.log(`login burst: the right password got in ${rightGotIn} of ${ROUNDS} rounds\n${rounds.map((r) => JSON.stringify(r)).join('\n')}`);
    expect(rounds).toEqual(rounds.map((r) => ({
      round: r.round, statuses: r.statuses, checkedAtMost5: true, wrongCheckedAtMost5: true, onlyExpectedStatuses: true, every429HasRetryAfter: true, failedSignInsRecorded: true,
      rightPassword: r.rightPassword === 'signed in' ? 'signed in' : 'throttled, not signed in',
    })));
  }, 90_000);
});

function tally(values: Array<number | string>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

/** A code with offline_access (consent asked each time), and its verifier, for the session browser. */
async function freshCode(browser: Browser) {
  const rp = await relyingParty(server.url, clinic.id, conn.secret);
  const a = await authorize(rp, server.url, { redirectUri: URI, scope: 'openid offline_access', prompt: 'consent', email: EMAIL, browser });
  const code = a.callbackUrl.searchParams.get('code');
  if (!code) throw new Error(`no code: ${a.callbackUrl}`);
  return { code, verifier: a.verifier };
}

const exchange = (code: string, verifier: string) =>
  tokenRequest(server.url, { grant_type: 'authorization_code', code, code_verifier: verifier, redirect_uri: URI }, [clinic.id, conn.secret]);
const refresh = (token: string) => tokenRequest(server.url, { grant_type: 'refresh_token', refresh_token: token }, [clinic.id, conn.secret]);
const active = async (token: string) => (await introspect(server.url, token, admin)).body.active;

describe('replays under concurrency', () => {
  // A lost race shows in a few rounds of twenty, so forty rounds each.
  const ROUNDS = 40;
  const CODE_RACERS = 20;
  const REFRESH_RACERS = 16;
  const session = new Browser();

  test(`${ROUNDS} rounds of ${CODE_RACERS} concurrent exchanges of one code: exactly one 200, and the replay revokes what the winner got`, async () => {
    const rounds: object[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const { code, verifier } = await freshCode(session);
      const answers = await Promise.all(Array.from({ length: CODE_RACERS }, () => exchange(code, verifier)));
      const won = answers.find((a) => a.status === 200)?.body as { access_token: string; refresh_token: string } | undefined;
      rounds.push({
        round,
        winners: answers.filter((a) => a.status === 200).length,
        losers: tally(answers.filter((a) => a.status !== 200).map((a) => `${a.status} ${a.body.error}`)),
        // The replays revoke every token the code produced, the winner's refresh token included.
        winnerRefreshes: won ? (await refresh(won.refresh_token)).status === 200 : null,
        winnerAccessActive: won ? await active(won.access_token) : null,
      });
    }
    report('code exchange race', rounds);
    expect(rounds).toEqual(rounds.map((_, round) => ({ round, winners: 1, losers: { '400 invalid_grant': CODE_RACERS - 1 }, winnerRefreshes: false, winnerAccessActive: false })));
  }, 90_000);

  test(`${ROUNDS} rounds of ${REFRESH_RACERS} concurrent refreshes of one refresh token: exactly one 200, then no token of the grant works`, async () => {
    const rounds: object[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const { code, verifier } = await freshCode(session);
      const first = await exchange(code, verifier);
      expect(first.status).toBe(200);
      const original = first.body as { access_token: string; refresh_token: string };
      const answers = await Promise.all(Array.from({ length: REFRESH_RACERS }, () => refresh(original.refresh_token)));
      const rotated = answers.find((a) => a.status === 200)?.body as { access_token: string; refresh_token: string } | undefined;
      const tokens = { originalAccess: original.access_token, newAccess: rotated?.access_token };
      const refreshTokens = { originalRefresh: original.refresh_token, newRefresh: rotated?.refresh_token };
      const stillWorking: string[] = [];
      for (const [name, token] of Object.entries(tokens)) if (token && await active(token)) stillWorking.push(`${name} is active`);
      for (const [name, token] of Object.entries(refreshTokens)) {
        if (token && await active(token)) stillWorking.push(`${name} is active`);
        if (token && (await refresh(token)).status === 200) stillWorking.push(`${name} refreshes`);
      }
      rounds.push({
        round,
        winners: answers.filter((a) => a.status === 200).length,
        losers: tally(answers.filter((a) => a.status !== 200).map((a) => `${a.status} ${a.body.error}`)),
        stillWorking,
      });
    }
    report('refresh race', rounds);
    expect(rounds).toEqual(rounds.map((_, round) => ({ round, winners: 1, losers: { '400 invalid_grant': REFRESH_RACERS - 1 }, stillWorking: [] })));
  }, 90_000);
});

/** One line per round that went wrong, so a failure shows how often, not only the first. */
function report(what: string, rounds: object[]) {
  const wrong = rounds.filter((r) => (r as { winners: number }).winners !== 1);
  console.log(`${what}: ${rounds.length} rounds, ${wrong.length} without exactly one winner${wrong.length ? `:\n${wrong.map((r) => JSON.stringify(r)).join('\n')}` : ''}`);
}

describe('who may sign in, on the consent form post itself', () => {
  test('a signed-in non-member posting straight to /interaction/<uid>/confirm for another client gets access_denied, never a code', async () => {
    const other = await createClient(server, { name: 'Other pharmacy', client_type: 'PHARMACY' });
    const consumer = await createClient(server, { name: 'Other MIS', client_type: 'MIS' });
    const otherUri = 'https://other.example/cb';
    await putConnection(server, other.id, { consumer_id: consumer.id, redirect_uri: otherUri });
    // A live session: the user signs in through the clinic, where they are a member.
    const browser = new Browser();
    await authorize(await relyingParty(server.url, clinic.id, conn.secret), server.url, { redirectUri: URI, scope: 'openid', email: EMAIL, browser });

    const variants: Array<Record<string, string>> = [{}, { prompt: 'consent' }, { scope: 'openid offline_access', prompt: 'consent' }, { prompt: 'login' }];
    for (let round = 0; round < 12; round++) {
      const extra = variants[round % variants.length];
      const { uid } = await interaction(browser, other.id, otherUri, extra);
      // Five simultaneous posts of the consent form, each followed like a browser would, without ever opening the page.
      const ends = await Promise.all(Array.from({ length: 5 }, async () => {
        const b = new Browser();
        for (const [k, v] of browser.cookies) b.cookies.set(k, v);
        let res = await b.postForm(`${server.url}/interaction/${uid}/confirm`, {});
        for (let hop = 0; hop < 6 && (res.status === 302 || res.status === 303); hop++) {
          const to = new URL(res.headers.get('location')!, server.url);
          if (to.href.startsWith(otherUri)) return to;
          res = await b.get(to.href);
        }
        return { status: res.status };
      }));
      for (const end of ends) {
        expect({ round, extra, code: end instanceof URL ? end.searchParams.get('code') : null }).toEqual({ round, extra, code: null });
        if (end instanceof URL) expect(end.searchParams.get('error')).toBe('access_denied');
        else expect(end.status).toBeGreaterThanOrEqual(400);
      }
      // At the consent prompt the post is answered (access_denied); at the login prompt there is nothing to confirm (4xx).
      if (extra.prompt !== 'login') expect({ round, extra, answered: ends.some((e) => e instanceof URL) }).toEqual({ round, extra, answered: true });
    }
    const [codes] = await sql("SELECT count(*)::int AS n FROM oidc_payloads WHERE model = 'AuthorizationCode' AND client_id = $1", [other.id]);
    expect(codes.n).toBe(0);
  }, 60_000);
});
