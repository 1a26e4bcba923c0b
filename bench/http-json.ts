// JSON over node:http with kept-alive connections, for the print job bench's clients: cheaper in CPU than fetch
// (undici), which matters when the clients share the machine's two cores with the servers they measure.
import http from 'node:http';

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

export function jsonRequest(
  base: string, method: string, path: string, headers: Record<string, string>, body?: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, base);
    const req = http.request(url, { method, agent, headers: body === undefined ? headers : { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}
