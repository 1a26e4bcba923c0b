// The client credentials a request presents (RFC 6749 §2.3.1): client_secret_post or client_secret_basic. oidc-provider
// parses them again for client authentication; Gatehouse needs them earlier, to choose the connection.

export interface PresentedCredentials {
  clientId: string;
  secret: string;
}

/** From the form parameters first (client_secret_post), then the Basic header; null when neither carries a secret. */
export function presentedCredentials(params: Record<string, unknown>, authorization: string | undefined): PresentedCredentials | null {
  if (typeof params.client_secret === 'string') {
    return typeof params.client_id === 'string' ? { clientId: params.client_id, secret: params.client_secret } : null;
  }
  if (typeof authorization !== 'string' || !/^basic /i.test(authorization)) return null;
  const basic = Buffer.from(authorization.slice(6).trim(), 'base64').toString('utf8');
  const colon = basic.indexOf(':');
  if (colon === -1) return null;
  try {
    // Both parts are form-urlencoded (RFC 6749 §2.3.1).
    const clientId = decodeURIComponent(basic.slice(0, colon).replace(/\+/g, '%20'));
    const secret = decodeURIComponent(basic.slice(colon + 1).replace(/\+/g, '%20'));
    return { clientId, secret };
  } catch {
    return null;
  }
}
