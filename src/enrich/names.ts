// Bulk name resolution through `POST /universe/names/`. Ids requested in
// the same turn of the event loop — from every kill a worker is enriching — share one call of at
// most 1000 unique ids. ESI fails the whole batch with 404 when any id is unresolvable, so a 404
// is bisected: one bad id among n costs about 2·log2(n) extra calls, and it is then remembered as
// unresolvable by the caller.
import type { Counters } from '../telemetry/counters.js';
import type { EsiClient } from './esi-client.js';

export const MAX_NAMES_PER_CALL = 1000;

export interface NameHit {
  id: number;
  name: string;
  category: string;
}

export interface NamesBatcherOptions {
  client: EsiClient;
  counters: Counters;
  onResolved(hit: NameHit): void;
  onUnresolvable(id: number): void;
  maxIdsPerCall?: number;
}

export function isNamesBody(body: unknown): body is NameHit[] {
  if (!Array.isArray(body)) return false;
  for (const x of body as unknown[]) {
    if (typeof x !== 'object' || x === null) return false;
    const h = x as Record<string, unknown>;
    if (typeof h['id'] !== 'number' || typeof h['name'] !== 'string' || typeof h['category'] !== 'string') return false;
  }
  return true;
}

export class NamesBatcher {
  private queued: number[] = [];
  private readonly inflight = new Map<number, Promise<void>>();
  private readonly settle = new Map<number, () => void>();
  private scheduled = false;
  private readonly maxIds: number;

  constructor(private readonly opts: NamesBatcherOptions) {
    this.maxIds = opts.maxIdsPerCall ?? MAX_NAMES_PER_CALL;
  }

  /** Settles (never rejects) once the id's batch finished, resolved or not. */
  request(id: number): Promise<void> {
    const existing = this.inflight.get(id);
    if (existing !== undefined) return existing;
    const p = new Promise<void>((resolve) => this.settle.set(id, resolve));
    this.inflight.set(id, p);
    this.queued.push(id);
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
    return p;
  }

  private flush(): void {
    this.scheduled = false;
    const ids = this.queued;
    this.queued = [];
    for (let i = 0; i < ids.length; i += this.maxIds) {
      const chunk = ids.slice(i, i + this.maxIds);
      this.resolveChunk(chunk)
        .catch((err: unknown) => {
          // A bug in a callback, not an ESI failure: count it so it shows, and settle the ids anyway.
          this.opts.counters.inc('enrich.names.internal_error');
          return err;
        })
        .finally(() => this.done(chunk));
    }
  }

  private done(ids: readonly number[]): void {
    for (const id of ids) {
      this.inflight.delete(id);
      const s = this.settle.get(id);
      this.settle.delete(id);
      s?.();
    }
  }

  private async resolveChunk(ids: readonly number[]): Promise<void> {
    const r = await this.opts.client.post('names', '/universe/names/', ids, isNamesBody);
    if (r.ok) {
      const body = r.body as NameHit[];
      for (const hit of body) this.opts.onResolved(hit);
      if (body.length < ids.length) this.opts.counters.inc('enrich.names.absent', ids.length - body.length);
      return;
    }
    if (r.reason !== 'not_found') {
      this.opts.counters.inc('enrich.names.failed');
      return;
    }
    if (ids.length === 1) {
      this.opts.counters.inc('enrich.names.unresolvable');
      this.opts.onUnresolvable(ids[0] as number);
      return;
    }
    this.opts.counters.inc('enrich.names.bisect');
    const mid = ids.length >> 1;
    await Promise.all([this.resolveChunk(ids.slice(0, mid)), this.resolveChunk(ids.slice(mid))]);
  }
}
