// A real HTTP receiver on loopback for the webhook tests: records every request (headers, raw
// body, the status it answered) and answers with a status chosen per request.
import http from 'node:http';
import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';

export interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  status: number;
  payload: { type: string; system_id: number; kills: { killmail_id: number; system_id: number }[]; timestamp: string };
}

export class Receiver {
  readonly requests: Received[] = [];
  /** Status for the next request to `path` (default 200). */
  respond: (path: string, n: number) => number = () => 200;
  private server!: http.Server;
  port = 0;

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const path = req.url ?? '/';
        const status = this.respond(path, this.requests.filter((r) => r.path === path).length);
        let payload: Received['payload'];
        try {
          payload = JSON.parse(body) as Received['payload'];
        } catch {
          payload = { type: 'unparsable', system_id: 0, kills: [], timestamp: '' };
        }
        this.requests.push({ path, headers: req.headers, body, status, payload });
        res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'nope');
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  /** Kill ids in the requests to `path` that were answered 2xx, in arrival order. */
  delivered(path: string): number[] {
    return this.requests.filter((r) => r.path === path && r.status < 300).flatMap((r) => r.payload.kills.map((k) => k.killmail_id));
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((r) => this.server.close(() => r()));
  }
}

/** What a receiver computes to verify `X-WK-Signature`. */
export function signature(secret: string, body: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(body).digest('hex');
}
