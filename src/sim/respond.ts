// Handlers return a SimResponse; writeResponse sends it, applying the planned fault on the way
// out. Keeping handlers pure (no socket access) is what lets one fault code path break every
// route the same way, and a truncated or malformed entry leave the stored entry intact.
import type { ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { MALFORMED_BODY, type FaultSpec } from './faults.js';

export interface SimResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer | string;
}

export function json(status: number, value: unknown, headers: Record<string, string> = {}): SimResponse {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body: JSON.stringify(value) };
}

export function raw(status: number, body: Buffer | string, headers: Record<string, string> = {}): SimResponse {
  return { status, headers: { 'content-type': 'application/json; charset=utf-8', ...headers }, body };
}

export function notFound(message = 'Not found'): SimResponse {
  return json(404, { error: message });
}

/** Sends `r`, broken as `fault` says. Resolves once the body is out (or the socket is gone). */
export async function writeResponse(res: ServerResponse, r: SimResponse, fault: FaultSpec | undefined): Promise<void> {
  const body = typeof r.body === 'string' ? Buffer.from(r.body) : r.body;
  switch (fault?.kind) {
    case 'malformed': {
      const broken = Buffer.from(MALFORMED_BODY);
      res.writeHead(200, { ...r.headers, 'content-type': 'application/json; charset=utf-8', 'content-length': String(broken.length) });
      res.end(broken);
      return;
    }
    case 'truncate': {
      // The declared length is the full body; half arrives, then the connection is cut, as a
      // proxy dropping mid-response would. Clients see a body/stream error, not a short 200.
      res.writeHead(r.status, { ...r.headers, 'content-length': String(body.length) });
      res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.destroy());
      return;
    }
    case 'drip':
      await drip(res, r, body, fault.latencyMs ?? 1000);
      return;
    default:
      res.writeHead(r.status, { ...r.headers, 'content-length': String(body.length) });
      res.end(body);
  }
}

/** Writes the body in about 20 small chunks spread evenly over `totalMs`. */
async function drip(res: ServerResponse, r: SimResponse, body: Buffer, totalMs: number): Promise<void> {
  res.writeHead(r.status, { ...r.headers, 'content-length': String(body.length) });
  const chunks = Math.max(1, Math.min(20, body.length));
  const size = Math.ceil(body.length / chunks);
  const stepMs = totalMs / chunks;
  for (let off = 0; off < body.length; off += size) {
    if (res.destroyed) return;
    res.write(body.subarray(off, off + size));
    await sleep(stepMs);
  }
  res.end();
}
