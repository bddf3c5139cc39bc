// RedisQ long-poll: `listen.php` holds the request up to ttw
// seconds, then answers 302 to `object.php?objectID=…`. Each queueID has its own cursor, created
// at first sight at the current tip, so a queue opened before an entry is published sees it, and
// every original entry reaches every queue exactly once. Republished entries are not re-queued:
// RedisQ never carried R2Z2's `sequence_updated`.
import { randomBytes } from 'node:crypto';
import type { FeedLog } from './feed-log.js';
import { json, notFound, raw, type SimResponse } from './respond.js';

export type RedisqShape = 'inline' | 'short' | 'mixed';

interface Queue {
  /** Next sequence number this queue has not seen. */
  cursor: number;
  busy: boolean;
}

const MAX_OBJECTS = 50_000;
const CORS = { 'access-control-allow-origin': '*' };

export class RedisQ {
  private readonly queues = new Map<string, Queue>();
  private readonly objects = new Map<string, number>();
  private readonly waiters = new Set<() => void>();
  private stopping = false;

  constructor(
    private readonly log: FeedLog,
    private readonly shape: RedisqShape,
  ) {}

  get queueCount(): number {
    return this.queues.size;
  }

  /** Listen requests currently held waiting for an entry. */
  get heldCount(): number {
    return this.waiters.size;
  }

  /** Wakes held listeners; called after every publish. */
  notify(): void {
    for (const wake of [...this.waiters]) wake();
  }

  async listen(query: URLSearchParams, signal: AbortSignal): Promise<SimResponse> {
    const id = query.get('queueID') ?? '';
    if (id === '') return json(429, { error: 'queueID is required' });
    let q = this.queues.get(id);
    if (!q) {
      q = { cursor: this.log.lastSequence + 1, busy: false };
      this.queues.set(id, q);
    }
    // One request in flight per queueID; the real server answers a second one with 429.
    if (q.busy) return json(429, { error: 'only one request per queueID at a time' });
    q.busy = true;
    try {
      const ttwRaw = Number(query.get('ttw') ?? '10');
      const ttwMs = (Number.isFinite(ttwRaw) ? Math.min(10, Math.max(1, ttwRaw)) : 10) * 1000;
      const seq = this.take(q) ?? (await this.waitForEntry(q, ttwMs, signal));
      const objectId = seq === undefined ? 'null' : this.remember(seq);
      return { status: 302, headers: { location: `/object.php?objectID=${objectId}`, ...CORS }, body: '' };
    } finally {
      q.busy = false;
    }
  }

  object(query: URLSearchParams): SimResponse {
    const objectId = query.get('objectID') ?? '';
    if (objectId === 'null') return json(200, { package: null }, CORS);
    const seq = this.objects.get(objectId);
    const meta = seq === undefined ? undefined : this.log.get(seq);
    if (!meta) return notFound('unknown or expired objectID');
    const inline = this.shape === 'inline' || (this.shape === 'mixed' && meta.killmailId % 2 === 0);
    return raw(200, this.log.packageBytes(meta, inline), CORS);
  }

  /** The next original entry at or after the queue's cursor, advancing it. */
  private take(q: Queue): number | undefined {
    while (q.cursor <= this.log.lastSequence) {
      const meta = this.log.get(q.cursor++);
      if (meta && meta.updatedFrom === undefined) return meta.seq;
    }
    return undefined;
  }

  private waitForEntry(q: Queue, ttwMs: number, signal: AbortSignal): Promise<number | undefined> {
    return new Promise((resolve) => {
      const done = (seq: number | undefined): void => {
        clearTimeout(timer);
        this.waiters.delete(wake);
        signal.removeEventListener('abort', onAbort);
        resolve(seq);
      };
      // A client that hangs up must not consume an entry it will never read.
      const onAbort = (): void => done(undefined);
      const wake = (): void => {
        if (signal.aborted) return done(undefined);
        const seq = this.take(q);
        if (seq !== undefined || this.stopping) done(seq);
      };
      const timer = setTimeout(() => done(undefined), ttwMs);
      this.waiters.add(wake);
      signal.addEventListener('abort', onAbort, { once: true });
      if (signal.aborted || this.stopping) done(undefined);
    });
  }

  /** Marks the server as stopping so held listeners return at once. */
  stop(): void {
    this.stopping = true;
    this.notify();
  }

  private remember(seq: number): string {
    const token = randomBytes(8).toString('hex');
    this.objects.set(token, seq);
    if (this.objects.size > MAX_OBJECTS) {
      const oldest = this.objects.keys().next().value as string;
      this.objects.delete(oldest);
    }
    return token;
  }
}
