// Set-up through the internal API (CONTRACT §6), as an operator would.
import type { TestServer } from './server.js';

export async function call(server: { internalUrl: string }, method: string, path: string, body?: unknown) {
  const res = await fetch(`${server.internalUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function ok(server: TestServer, method: string, path: string, body: unknown) {
  const res = await call(server, method, path, body);
  if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data;
}

export interface TestClient {
  id: string;
  name: string;
  client_type: string;
  permissions: string[];
}

export function createClient(server: TestServer, body: { id?: string; name?: string; client_type: string; permissions?: string[] }): Promise<TestClient> {
  return ok(server, 'POST', '/internal/clients', { name: 'Test client', ...body });
}

export interface TestConnection {
  id: string;
  client_id: string;
  consumer_id: string;
  redirect_uri: string | null;
  post_logout_redirect_uri?: string | null;
  secret: string;
}

export function putConnection(
  server: TestServer, clientId: string, body: { consumer_id: string; redirect_uri?: string; post_logout_redirect_uri?: string },
): Promise<TestConnection> {
  return ok(server, 'PUT', `/internal/clients/${clientId}/connections`, body);
}

export const PASSWORD = 'correct horse battery staple';

export function createUser(server: TestServer, body: { email: string; password?: string; name?: string; memberships: Array<{ client_id: string; scopes: string[] }> }) {
  return ok(server, 'POST', '/internal/users', { password: PASSWORD, ...body });
}
