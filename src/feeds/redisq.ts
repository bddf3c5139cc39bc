// RedisQ long-poll reader. One request in flight per
// queueID; redirects followed (listen.php → 302 → object.php). `{"package": null}` is recognised
// by a byte-level check of the small body; every other body goes to the sink raw, and workers
// parse it and fetch the killmail from ESI for short packages ({killID, zkb} without killmail).
// There is no cursor: the server-side queue is the cursor, so the queueID must be stable
// (config, else generated once and persisted) for a restart to resume the queue (§12.2 item 8).
import { randomInt } from 'node:crypto';
import type { ComponentHealth, CursorStore } from '../core/ports.js';
import { epochUs } from '../core/clock.js';
import { ageMs, cutoffAt, pushEntry, Tally, type CursorUpdate, type FeedDeps, type FeedHandle } from './common.js';
import { createFeedClient, fetchBytes, type FetchResult } from './http.js';
import { Backoff, delay, POLICIES, type HttpClient } from '../net/index.js';

export const REDISQ_QUEUE_CURSOR = 'redisq.queue_id';
const QUEUE_ID_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** `{"package": null}` with any whitespace fits well under this; a real package never does. */
const NULL_PACKAGE_MAX_BYTES = 64;
const NULL_PACKAGE = /^\s*\{\s*"package"\s*:\s*null\s*\}\s*$/;

export interface RedisQOptions extends FeedDeps {
  url: string;
  /** From config; empty or absent → the persisted one, else generated once and persisted. */
  queueId?: string;
  ttwSeconds: number;
  userAgent: string;
  cutoffSeconds: number;
  fastIntervalMs?: number;
  idleIntervalMs?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
  maxConsecutiveErrors?: number;
  circuitResetMs?: number;
  /** Default ttw + 15 s: the server holds the request up to ttw before answering. */
  requestTimeoutMs?: number;
  maxEntryBytes?: number;
}

export type CircuitState = 'closed' | 'open' | 'half_open';
type State = 'new' | 'polling' | 'waiting' | 'backoff' | 'circuit_open' | 'stopped' | 'crashed';

export function createRedisQFeed(opts: RedisQOptions): FeedHandle {
  return new RedisQFeed(opts);
}

/** "wanderer_kills_" + 16 random [0-9A-Za-z], the original's shape (§6.1). */
export function generateQueueId(): string {
  let id = 'wanderer_kills_';
  for (let i = 0; i < 16; i++) id += QUEUE_ID_ALPHABET[randomInt(QUEUE_ID_ALPHABET.length)];
  return id;
}

export function resolveQueueId(configured: string | undefined, cursors: CursorStore): string {
  if (configured !== undefined && configured !== '') return configured;
  const stored = cursors.getCursor(REDISQ_QUEUE_CURSOR);
  if (stored !== undefined && stored !== '') return stored;
  const id = generateQueueId();
  cursors.setCursor(REDISQ_QUEUE_CURSOR, id);
  return id;
}

/** True for `{"package": null}` without parsing the document (bodies over 64 bytes never are). */
export function isNullPackage(body: Uint8Array): boolean {
  if (body.byteLength >= NULL_PACKAGE_MAX_BYTES) return false;
  return NULL_PACKAGE.test(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('latin1'));
}

class RedisQFeed implements FeedHandle {
  readonly name = 'redisq';
  private readonly o: Required<Omit<RedisQOptions, keyof FeedDeps | 'queueId'>>;
  private readonly tally: Tally;
  private readonly backoff: Backoff;
  private abort = new AbortController();
  private loop: Promise<void> | undefined;
  private queueId = '';
  private state: State = 'new';
  private circuit: CircuitState = 'closed';
  private circuitOpenedAtMs: number | undefined;
  private consecutiveErrors = 0;
  private lastError = '';
  private seq = 0;
  private lastEntryAtMs: number | undefined;
  /** This run's connection pool: made in start(), closed in stop(). */
  private http: HttpClient | undefined;

  constructor(private readonly deps: RedisQOptions) {
    this.o = {
      url: deps.url,
      ttwSeconds: deps.ttwSeconds,
      userAgent: deps.userAgent,
      cutoffSeconds: deps.cutoffSeconds,
      fastIntervalMs: deps.fastIntervalMs ?? 1000,
      idleIntervalMs: deps.idleIntervalMs ?? 5000,
      initialBackoffMs: deps.initialBackoffMs ?? POLICIES.feedError.firstMs,
      maxBackoffMs: deps.maxBackoffMs ?? POLICIES.feedError.maxMs,
      maxConsecutiveErrors: deps.maxConsecutiveErrors ?? 10,
      circuitResetMs: deps.circuitResetMs ?? 300_000,
      requestTimeoutMs: deps.requestTimeoutMs ?? deps.ttwSeconds * 1000 + 15_000,
      maxEntryBytes: deps.maxEntryBytes ?? 4 * 1024 * 1024,
    };
    this.tally = new Tally('feed.redisq', deps.counters);
    this.backoff = new Backoff({ ...POLICIES.feedError, firstMs: this.o.initialBackoffMs, maxMs: this.o.maxBackoffMs });
  }

  async start(): Promise<void> {
    if (this.loop) return;
    // Synchronous store access; a failure here is a startup error and propagates to app.ts.
    if (this.queueId === '') this.queueId = resolveQueueId(this.deps.queueId, this.deps.cursors);
    this.abort = new AbortController();
    this.http = createFeedClient(this.o.userAgent, this.o.requestTimeoutMs);
    this.loop = this.run().catch((err: unknown) => {
      // Expected failures are handled in the loop; reaching here is a bug, not bad input.
      this.tally.inc('crash');
      this.deps.logger.error({ err }, 'redisq feed loop crashed');
      this.state = 'crashed';
    });
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
    this.loop = undefined;
    this.state = 'stopped';
    await this.http?.close();
  }

  /** No cursor to move (the server-side queue is the cursor); counted for /status only. */
  ack(_seq: number): void {
    this.tally.inc('acked');
  }

  pendingCursor(): CursorUpdate | undefined {
    return undefined;
  }

  private pollUrl(): string {
    const u = new URL(this.o.url);
    u.searchParams.set('queueID', this.queueId);
    u.searchParams.set('ttw', String(this.o.ttwSeconds));
    return u.toString();
  }

  /** One request at a time: each poll awaits its response and the interval before the next. */
  private async run(): Promise<void> {
    const signal = this.abort.signal;
    const url = this.pollUrl();
    while (!signal.aborted) {
      if (!(await this.circuitAllowsPoll(signal))) continue;
      this.state = 'polling';
      this.tally.inc('polls');
      const res = await fetchBytes(url, {
        userAgent: this.o.userAgent,
        timeoutMs: this.o.requestTimeoutMs,
        signal,
        maxBytes: this.o.maxEntryBytes,
        ...(this.http !== undefined && { client: this.http }),
      });
      if (!res.ok && res.reason === 'aborted') return;
      let waitMs: number;
      if (!res.ok) waitMs = this.onError(res.reason, res.message, res);
      else if (res.body.byteLength === 0) waitMs = this.onError('empty_body', 'HTTP 200 with an empty body', undefined);
      else waitMs = await this.onBody(res.body, signal);
      if (waitMs < 0) return;
      this.state = this.circuit === 'open' ? 'circuit_open' : this.consecutiveErrors > 0 ? 'backoff' : 'waiting';
      await delay(waitMs, signal);
    }
  }

  /** While open, wait out circuitResetMs from the opening; then half-open lets one poll through. */
  private async circuitAllowsPoll(signal: AbortSignal): Promise<boolean> {
    if (this.circuit !== 'open' || this.circuitOpenedAtMs === undefined) return true;
    const remainingMs = this.circuitOpenedAtMs + this.o.circuitResetMs - Date.now();
    if (remainingMs > 0) {
      this.state = 'circuit_open';
      this.tally.inc('circuit_open_skips');
      await delay(remainingMs, signal);
      return false;
    }
    this.circuit = 'half_open';
    this.deps.logger.info('redisq circuit half-open: trying one poll');
    return true;
  }

  /** Returns the wait before the next poll, or -1 when the feed stopped during back-pressure. */
  private async onBody(body: Uint8Array, signal: AbortSignal): Promise<number> {
    this.onSuccess();
    if (isNullPackage(body)) {
      this.tally.inc('no_kills');
      return this.o.idleIntervalMs;
    }
    const seq = ++this.seq;
    const entry = { source: 'redisq' as const, seq, body, receivedAtUs: epochUs(), cutoffMs: cutoffAt(this.o.cutoffSeconds) };
    if (!(await pushEntry(this.deps.sink, entry, signal, () => this.tally.inc('backpressure_waits')))) return -1;
    this.tally.inc('received');
    this.tally.inc('bytes', body.byteLength);
    this.lastEntryAtMs = Date.now();
    return this.o.fastIntervalMs;
  }

  private onSuccess(): void {
    if (this.circuit !== 'closed') this.deps.logger.info('redisq circuit closed');
    this.circuit = 'closed';
    this.circuitOpenedAtMs = undefined;
    this.consecutiveErrors = 0;
    this.backoff.reset();
  }

  private onError(reason: string, message: string, res: Extract<FetchResult, { ok: false }> | undefined): number {
    this.consecutiveErrors++;
    this.lastError = `${reason}: ${message}`;
    this.tally.inc(`error.${reason}`);
    if (this.circuit === 'half_open' || this.consecutiveErrors >= this.o.maxConsecutiveErrors) {
      this.circuit = 'open';
      this.circuitOpenedAtMs = Date.now();
      this.tally.inc('circuit_opened');
      this.deps.logger.error({ reason, consecutiveErrors: this.consecutiveErrors, resetMs: this.o.circuitResetMs }, 'redisq circuit open');
      return this.o.circuitResetMs;
    }
    this.tally.inc('backoffs');
    // A 429 may carry Retry-After (RedisQ answers 429 to a second concurrent poll per queueID).
    const waitMs = Math.max(this.backoff.next(), res?.retryAfterMs ?? 0);
    this.deps.logger.warn({ reason, status: res?.status ?? 200, waitMs, message }, 'redisq poll failed, backing off');
    return waitMs;
  }

  health(): ComponentHealth {
    const age = ageMs(this.lastEntryAtMs);
    const last = age === null ? 'no kill yet' : `last kill ${Math.round(age / 1000)} s ago`;
    if (this.state === 'new' || this.state === 'stopped' || this.state === 'crashed') {
      return { healthy: false, message: `redisq ${this.state}` };
    }
    if (this.circuit !== 'closed') {
      return {
        healthy: false,
        message: `redisq circuit ${this.circuit} after ${this.consecutiveErrors} errors (${this.lastError}); ${last}`,
      };
    }
    return { healthy: true, message: `redisq ${this.state}; ${last}` };
  }

  stats(): Record<string, number | string | boolean | null> {
    const out: Record<string, number | string | boolean | null> = {
      source: 'redisq',
      state: this.state,
      circuit: this.circuit,
      circuitOpenedAtMs: this.circuitOpenedAtMs ?? null,
      circuitResetMs: this.o.circuitResetMs,
      consecutiveErrors: this.consecutiveErrors,
      maxConsecutiveErrors: this.o.maxConsecutiveErrors,
      lastError: this.lastError,
      seq: this.seq,
      lastEntryAgeMs: ageMs(this.lastEntryAtMs),
    };
    for (const [k, v] of this.tally.entries()) out[k] = v;
    return out;
  }
}
