// Request classification: which fault family a path belongs to and the route name it is
// counted under in stats, plus a capped body reader.
import type { IncomingMessage } from 'node:http';
import { SimEsi } from './esi.js';

export type Family = 'r2z2' | 'redisq' | 'esi' | 'zkb' | 'control' | 'unknown';

const MAX_BODY_BYTES = 1024 * 1024;

export function classify(path: string): Family {
  if (path.startsWith('/ephemeral/') || path.startsWith('/history/')) return 'r2z2';
  if (path === '/listen.php' || path === '/object.php') return 'redisq';
  if (path.startsWith('/api/')) return 'zkb';
  if (path.startsWith('/_sim/')) return 'control';
  return SimEsi.isEsiPath(path) ? 'esi' : 'unknown';
}

export function routeName(family: Family, path: string): string {
  switch (family) {
    case 'r2z2':
      if (path === '/ephemeral/sequence.json') return 'r2z2.sequence';
      if (path.startsWith('/ephemeral/')) return 'r2z2.entry';
      return path.startsWith('/history/raw/') ? 'r2z2.history_raw' : 'r2z2.history';
    case 'redisq':
      return path === '/listen.php' ? 'redisq.listen' : 'redisq.object';
    case 'esi':
      return SimEsi.routeName(path);
    case 'zkb':
      return path.startsWith('/api/killID/') ? 'zkb.killID' : 'zkb.other';
    case 'control':
      return 'sim.control';
    case 'unknown':
      return 'unknown';
  }
}

/** The request body, or undefined past 1 MiB (answered 413). */
export async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, size);
}
