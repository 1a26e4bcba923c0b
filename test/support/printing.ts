// Print jobs as the people in CONTRACT §9 do them: an admin creates a print service and assigns the printers it
// reported, a portal with print:submit submits, the print service claims and reports.
import crypto from 'node:crypto';
import { type ApiCaller, accessToken, api } from './api.js';

export interface PrintService {
  id: string;
  secret: string;
  /** A client_credentials token with printer:report (and printer:read). */
  token: string;
  /** The service printers the admin assigned, by system name. */
  printers: Record<string, { id: string; name: string }>;
}

export const PDF = Buffer.from('%PDF-1.7\n1 0 obj <</Type /Catalog>> endobj\n% Rx: patient Ivanenko, amoxicillin 500 mg\n%%EOF\n');

/** A print service that reported `printers` (status each) and had each one assigned by the admin, enabled. */
export async function printService(
  server: { url: string }, admin: ApiCaller, printers: Record<string, string>, options: { id?: string; assign?: boolean } = {},
): Promise<PrintService> {
  const id = options.id ?? `print_${crypto.randomBytes(4).toString('hex')}`;
  const created = await api(server, 'POST', '/api/services', {
    token: admin.token, body: { client_id: id, name: `Print service ${id}`, service_type: 'PRINT_SERVICE', permissions: ['printer:read'] },
  });
  if (created.status !== 201) throw new Error(`create service → ${created.status} ${created.text}`);
  const secret = created.body.data.client_secret as string;
  const token = await accessToken(server, id, secret, ['printer:report', 'printer:read']);
  const reported = await api(server, 'PUT', '/api/print_service/printers', {
    token, body: { printers: Object.entries(printers).map(([system_name, status]) => ({ system_name, status })) },
  });
  if (reported.status !== 200) throw new Error(`report → ${reported.status} ${reported.text}`);
  const assigned: PrintService['printers'] = {};
  if (options.assign !== false) {
    for (const p of reported.body.data as Array<{ id: string; system_name: string }>) {
      const res = await api(server, 'POST', `/api/services/${id}/printers`, { token: admin.token, body: { printer_id: p.id, name: `${p.system_name} friendly` } });
      if (res.status !== 201) throw new Error(`assign → ${res.status} ${res.text}`);
      assigned[p.system_name] = { id: res.body.data.id, name: res.body.data.name };
    }
  }
  return { id, secret, token, printers: assigned };
}

export function submit(
  server: { url: string }, token: string, printerId: string, extra: Record<string, unknown> = {}, document: Buffer = PDF,
) {
  return api(server, 'POST', '/api/print_jobs', {
    token, body: { printer_id: printerId, title: 'Prescription 0001', content_type: 'application/pdf', document: document.toString('base64'), ...extra },
  });
}

export function claim(server: { url: string }, token: string, body: { wait?: number; limit?: number } = {}) {
  return api(server, 'POST', '/api/print_service/jobs/actions/claim', { token, body });
}

export function reportJob(server: { url: string }, token: string, id: string, body: Record<string, unknown>) {
  return api(server, 'PATCH', `/api/print_service/jobs/${id}`, { token, body });
}

export const ISO = expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/);
export const UUID = expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
