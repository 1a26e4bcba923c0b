// Sender-constrained access tokens at /api (DPoP, RFC 9449 §7; CONTRACT §3): a DPoP-bound token is accepted only as
// `Authorization: DPoP <token>` with a proof for this request signed by the key the token is bound to.
import crypto from 'node:crypto';
import { EmbeddedJWK, calculateJwkThumbprint, jwtVerify } from 'jose';
import type { Pool } from 'pg';

/** What oidc-provider accepts at its token endpoint (its dPoPSigningAlgValues default), and the RSA family. */
export const DPOP_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519', 'PS256', 'PS384', 'PS512', 'RS256', 'RS384', 'RS512'];
const MAX_SKEW_SECONDS = 60;

export interface DpopRequest {
  proof: string;
  method: string;
  /** The request's URL on ISSUER's origin, without query and fragment (RFC 9449 §4.2 `htu`). */
  url: string;
  accessToken: string;
  /** The JWK thumbprint the token is bound to (`cnf.jkt`). */
  jkt: string;
}

function sameTarget(htu: unknown, expected: string): boolean {
  if (typeof htu !== 'string') return false;
  try {
    const url = new URL(htu);
    url.search = '';
    url.hash = '';
    return url.href === new URL(expected).href;
  } catch {
    return false;
  }
}

/** True when the proof is valid for this request and unseen before; a seen `jti` is a replay (§11.1). */
export async function checkDpopProof(pool: Pool, request: DpopRequest): Promise<boolean> {
  let verified;
  try {
    verified = await jwtVerify(request.proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: DPOP_ALGORITHMS });
  } catch {
    return false;
  }
  const { payload, protectedHeader } = verified;
  const now = Math.floor(Date.now() / 1000);
  const ath = crypto.createHash('sha256').update(request.accessToken).digest('base64url');
  if (typeof payload.jti !== 'string' || payload.jti.length === 0 || payload.jti.length > 256) return false;
  if (payload.htm !== request.method || !sameTarget(payload.htu, request.url) || payload.ath !== ath) return false;
  if (typeof payload.iat !== 'number' || Math.abs(now - payload.iat) > MAX_SKEW_SECONDS) return false;
  if ((await calculateJwkThumbprint(protectedHeader.jwk!, 'sha256')) !== request.jkt) return false;
  // One use per proof across every instance: the row outlives the acceptance window, then housekeeping removes it.
  const id = crypto.createHash('sha256').update(`${request.jkt}\n${payload.jti}`).digest('base64url');
  const { rowCount } = await pool.query({
    name: 'gh_dpop_jti',
    text: `INSERT INTO oidc_payloads (model, id, payload, expires_at) VALUES ('ApiDPoPProof', $1, '{}', now() + make_interval(secs => $2))
           ON CONFLICT (model, id) DO NOTHING`,
    values: [id, 2 * MAX_SKEW_SECONDS],
  });
  return rowCount === 1;
}
