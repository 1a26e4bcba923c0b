// Calling the management API (CONTRACT §4) as a client would: tokens via client_credentials, then JSON over HTTP.
import crypto from 'node:crypto';
import { createClient, putConnection, type TestClient, type TestConnection } from './internal.js';
import type { TestServer } from './server.js';

export interface ApiResponse {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
  text: string;
}

/** One request to the public listener; `body` is sent as JSON unless it is already a string. */
export async function api(
  server: { url: string }, method: string, path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.token) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(`${server.url}${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, body: parsed, text };
}

/** A raw client_credentials request to the token endpoint: the status and the RFC 6749 §5 body. */
export async function tokenRequest(server: { url: string }, clientId: string, secret: string, scope?: string) {
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  if (scope) form.set('scope', scope);
  const res = await fetch(`${server.url}/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64')}`,
    },
    body: form,
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: res.status, body: (await res.json()) as any };
}

/** An access token for an existing client's self-connection secret; throws unless the token endpoint says 200. */
export async function accessToken(server: { url: string }, clientId: string, secret: string, scopes: string[]): Promise<string> {
  const res = await tokenRequest(server, clientId, secret, scopes.join(' '));
  if (res.status !== 200) throw new Error(`token for ${clientId} → ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.access_token as string;
}

export interface ApiCaller {
  client: TestClient;
  /** The client's self-connection (its own credential), with its secret. */
  self: TestConnection;
  token: string;
}

/**
 * A new client of `client_type` with a self-connection and a client_credentials access token carrying `scopes`
 * (default: every permission the client holds). `permissions` are added to the type's defaults (CONTRACT §5);
 * services need an `id` (System ID), one is made up when none is given.
 */
export async function callerOfType(
  server: TestServer, clientType: string,
  options: { scopes?: string[]; permissions?: string[]; id?: string; name?: string } = {},
): Promise<ApiCaller> {
  const isService = clientType === 'PRINT_SERVICE' || clientType === 'INTEGRATION';
  const id = options.id ?? (isService ? `svc_${crypto.randomBytes(5).toString('hex')}` : undefined);
  const client = await createClient(server, {
    client_type: clientType, name: options.name ?? `${clientType} test client`, permissions: options.permissions, ...(id ? { id } : {}),
  });
  const self = await putConnection(server, client.id, { consumer_id: client.id });
  const scopes = options.scopes ?? client.permissions;
  const token = await accessToken(server, client.id, self.secret, scopes);
  return { client, self, token };
}
