// The front door of each listener: what happens to a request before any router sees it. The client's address and
// the origin it addressed are read once (TRUST_PROXY, CONTRACT §1); the request is then made to look addressed to
// ISSUER's origin, so every URL oidc-provider and Gatehouse build derives from ISSUER, never from `Host`; and the
// URL, credentials, cookies and (for oidc-provider's endpoints) the form body pass the input gates.
import type http from 'node:http';
import net from 'node:net';
import { HostileInput, bodyText, checkAuthorization, checkCookies, checkFormText, checkUrl } from './inputGate.js';

export interface RequestFacts {
  /** The client's address: the TRUST_PROXY-th entry from the right of X-Forwarded-For, else the socket's peer. */
  clientAddress: string;
  /** The origin the client addressed (scheme from X-Forwarded-Proto only behind a trusted proxy). */
  origin: string;
  /** Whether the scheme is the client's for certain: behind a trusted proxy that said it, or on a TLS socket. */
  schemeKnown: boolean;
}

const FACTS = Symbol('gatehouse.requestFacts');

type WithFacts = http.IncomingMessage & { [FACTS]?: RequestFacts; body?: string };

export function requestFacts(req: http.IncomingMessage): RequestFacts {
  return (req as WithFacts)[FACTS] ?? { clientAddress: req.socket.remoteAddress ?? 'unknown', origin: '', schemeKnown: false };
}

function fromRight(header: string | string[] | undefined, hops: number): string | undefined {
  const list = (Array.isArray(header) ? header.join(',') : header ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  return list.length ? list[Math.max(0, list.length - hops)] : undefined;
}

/** An entry that is not an IP address (a proxy that does not write the header, or a forged one) counts for nothing. */
function forwardedAddress(header: string | string[] | undefined, hops: number): string | undefined {
  const entry = fromRight(header, hops);
  return entry && net.isIP(entry) ? entry : undefined;
}

function observe(req: http.IncomingMessage, trustProxy: number): RequestFacts {
  const peer = req.socket.remoteAddress ?? 'unknown';
  const tls = !!(req.socket as { encrypted?: boolean }).encrypted;
  const forwarded = trustProxy > 0 ? fromRight(req.headers['x-forwarded-proto'], trustProxy) : undefined;
  const proto = forwarded === 'https' || forwarded === 'http' ? forwarded : tls ? 'https' : 'http';
  return {
    schemeKnown: tls || proto === forwarded,
    clientAddress: trustProxy > 0 ? forwardedAddress(req.headers['x-forwarded-for'], trustProxy) ?? peer : peer,
    origin: `${proto}://${req.headers.host ?? ''}`,
  };
}

/** From here on the request reads as addressed to ISSUER (Koa and oidc-provider run with `proxy` on). */
function canonicalise(req: http.IncomingMessage, issuer: URL, facts: RequestFacts): void {
  (req as WithFacts)[FACTS] = facts;
  req.headers.host = issuer.host;
  req.headers['x-forwarded-proto'] = issuer.protocol.slice(0, -1);
  req.headers['x-forwarded-for'] = facts.clientAddress;
  delete req.headers['x-forwarded-host'];
}

export type EndpointKind = 'api' | 'oauth' | 'page';

export interface FrontOptions {
  issuer: string;
  trustProxy: number;
  /** The kind of endpoint a path is: the shape its 4xx takes. */
  kindOf(path: string): EndpointKind;
  /** The response of a refused request, in the shape of its endpoint's kind. */
  refuse(res: http.ServerResponse, kind: EndpointKind, status: number, message: string): void;
}

/** oidc-provider reads at most 56 KiB of a body (lib/shared/selective_body.js). */
const OIDC_BODY_LIMIT = 56 * 1024;

async function readBody(req: http.IncomingMessage, limit: number): Promise<Buffer | 'too_large'> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req.iterator({ destroyOnReturn: false })) {
    size += (chunk as Buffer).length;
    if (size > limit) return 'too_large';
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, size);
}

/**
 * The listener: `route` says where a request goes (Gatehouse's own app, which reads its own bodies, or oidc-provider,
 * whose form bodies are read and checked here and handed over as `req.body`, which it accepts).
 */
export function front(options: FrontOptions, route: (path: string) => { handler: http.RequestListener; readsOwnBody: boolean }): http.RequestListener {
  const issuer = new URL(options.issuer);
  return (req, res) => {
    const facts = observe(req, options.trustProxy);
    canonicalise(req, issuer, facts);
    const url = req.url ?? '/';
    const path = url.split('?')[0];
    const kind = options.kindOf(path);
    try {
      checkUrl(url);
      checkAuthorization(req.headers.authorization);
      checkCookies(req.headers.cookie);
    } catch (err) {
      if (!(err instanceof HostileInput)) throw err;
      return options.refuse(res, kind, 400, err.message);
    }
    const { handler, readsOwnBody } = route(path);
    const form = /^application\/x-www-form-urlencoded\b/i.test(req.headers['content-type'] ?? '');
    if (readsOwnBody || !form || req.method === 'GET' || req.method === 'HEAD') return handler(req, res);
    readBody(req, OIDC_BODY_LIMIT).then((body) => {
      if (body === 'too_large') return options.refuse(res, kind, 413, 'the request body is too large');
      const text = bodyText(body);
      checkFormText(text, 'the form');
      (req as WithFacts).body = text;
      handler(req, res);
    }).catch((err: unknown) => {
      options.refuse(res, kind, 400, err instanceof HostileInput ? err.message : 'the request body could not be read');
    });
  };
}
