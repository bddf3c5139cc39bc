// R2Z2 reader: sequence.json once, then {N}.json, N+1, ... until a
// 404, then wait >= 6 s and retry N. Bodies go to the sink as raw bytes; `sequence_updated`
// entries are ordinary new sequence numbers here, and the store replaces the older copy.
//
// Cursor: the persisted value is the ack watermark (watermark.ts). After a crash the feed resumes
// at watermark + 1; anything re-fetched that was already stored is deduped downstream and
// counted as `skipped`, so no kill is lost or stored twice.
import type { ComponentHealth, CursorStore } from '../core/ports.js';
import { epochUs } from '../core/clock.js';
import { ageMs, cutoffAt, pushEntry, Tally, type CursorUpdate, type FeedDeps, type FeedHandle } from './common.js';
import { createFeedClient, fetchBytes, type FetchResult } from './http.js';
import { findOldestAvailable, parseSequence } from './r2z2-probe.js';
import { Backoff, createRateLimiter, delay, POLICIES, type HttpClient, type RateLimiter } from '../net/index.js';
import { SequenceWatermark, type CursorMode } from './watermark.js';

/** How far ahead of sequence.json our position may be before it is treated as another feed's. */
const CURSOR_AHEAD_SLACK = 1000;

export const R2Z2_CURSOR = 'r2z2';
const SEQUENCE_MAX_BYTES = 4096;

export interface R2Z2Options extends FeedDeps {
  baseUrl: string;
  userAgent: string;
  cutoffSeconds: number;
  /** Wait after a 404 at the tip; zKillboard answers 403 to faster polling (>= 6000 live). */
  idleWaitMs?: number;
  maxRps?: number;
  requestTimeoutMs?: number;
  maxEntryBytes?: number;
  /** 5xx, network, timeout, truncated: doubling from this to maxErrorBackoffMs. */
  errorBackoffMs?: number;
  maxErrorBackoffMs?: number;
  /** 403/429 without Retry-After: doubling from this to maxBlockedBackoffMs (1 min → 15 min). */
  blockedBackoffMs?: number;
  maxBlockedBackoffMs?: number;
  /** Read sequence.json after this many 404s in a row on N; past N there means N is lost (a gap). */
  gapTries?: number;
  /** 'direct': setCursor on every watermark move; 'external': the caller drains pendingCursor(). */
  cursorMode?: CursorMode;
}

type FailedFetch = Extract<FetchResult, { ok: false }>;
type State = 'new' | 'starting' | 'polling' | 'idle' | 'backoff' | 'blocked' | 'stopped' | 'crashed';

export function createR2Z2Feed(opts: R2Z2Options): FeedHandle {
  return new R2Z2Feed(opts);
}

class R2Z2Feed implements FeedHandle {
  readonly name = 'r2z2';
  private readonly o: Required<Omit<R2Z2Options, keyof FeedDeps>>;
  private readonly tally: Tally;
  private readonly limiter: RateLimiter;
  private readonly errorBackoff: Backoff;
  private readonly blockedBackoff: Backoff;
  /** This run's connection pool: made in start(), closed in stop(). */
  private http: HttpClient | undefined;
  private abort = new AbortController();
  private loop: Promise<void> | undefined;
  private state: State = 'new';
  /** The sequence being fetched next. */
  private seq = -1;
  private readonly mark: SequenceWatermark;
  private consecutiveErrors = 0;
  private lastError = '';
  /** 404s in a row on the current seq (reset by any entry). */
  private missesOnSeq = 0;
  private retryAtMs = 0;
  private lastEntryAtMs: number | undefined;

  constructor(private readonly deps: R2Z2Options) {
    this.o = {
      baseUrl: deps.baseUrl.replace(/\/+$/, ''),
      userAgent: deps.userAgent,
      cutoffSeconds: deps.cutoffSeconds,
      idleWaitMs: deps.idleWaitMs ?? 6000,
      maxRps: deps.maxRps ?? 10,
      requestTimeoutMs: deps.requestTimeoutMs ?? 15_000,
      maxEntryBytes: deps.maxEntryBytes ?? 4 * 1024 * 1024,
      errorBackoffMs: deps.errorBackoffMs ?? POLICIES.feedError.firstMs,
      maxErrorBackoffMs: deps.maxErrorBackoffMs ?? POLICIES.feedError.maxMs,
      blockedBackoffMs: deps.blockedBackoffMs ?? POLICIES.feedBlocked.firstMs,
      maxBlockedBackoffMs: deps.maxBlockedBackoffMs ?? POLICIES.feedBlocked.maxMs,
      gapTries: deps.gapTries ?? 3,
      cursorMode: deps.cursorMode ?? 'direct',
    };
    this.tally = new Tally('feed.r2z2', deps.counters);
    this.limiter = createRateLimiter(this.o.maxRps);
    this.errorBackoff = new Backoff({ ...POLICIES.feedError, firstMs: this.o.errorBackoffMs, maxMs: this.o.maxErrorBackoffMs });
    this.blockedBackoff = new Backoff({ ...POLICIES.feedBlocked, firstMs: this.o.blockedBackoffMs, maxMs: this.o.maxBlockedBackoffMs });
    this.mark = new SequenceWatermark(R2Z2_CURSOR, deps.cursors, this.o.cursorMode, (err) => {
      this.tally.inc('cursor_write_errors');
      deps.logger.error({ err }, 'r2z2 cursor write failed');
    });
  }

  async start(): Promise<void> {
    if (this.loop) return;
    this.abort = new AbortController();
    this.http = createFeedClient(this.o.userAgent, this.o.requestTimeoutMs);
    this.state = 'starting';
    this.loop = this.run().catch((err: unknown) => {
      // The loop handles every expected failure itself; reaching here is a bug, not bad input.
      this.tally.inc('crash');
      this.deps.logger.error({ err }, 'r2z2 feed loop crashed');
      this.state = 'crashed';
    });
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.loop;
    this.loop = undefined;
    this.state = 'stopped';
    this.mark.flush();
    await this.http?.close();
  }

  ack(seq: number): void {
    this.tally.inc(this.mark.acked(seq, this.seq) ? 'acked' : 'ack_unknown');
  }

  pendingCursor(): CursorUpdate | undefined {
    return this.mark.take();
  }

  /** R2Z2 files are immutable: a second GET of a body that did not parse usually gets it whole. */
  async refetch(seq: number): Promise<{ ok: true; body: Uint8Array } | { ok: false; message: string }> {
    this.tally.inc('refetches');
    const res = await this.get(`/ephemeral/${seq}.json`, this.o.maxEntryBytes, this.abort.signal);
    return res.ok ? { ok: true, body: res.body } : { ok: false, message: `${res.reason}: ${res.message}` };
  }

  private async run(): Promise<void> {
    const signal = this.abort.signal;
    if (this.seq < 0) {
      const first = await this.resolveStart(signal);
      if (first === undefined) return;
      this.seq = first;
      this.mark.advance(this.seq);
    }
    while (!signal.aborted) {
      this.state = 'polling';
      const res = await this.get(`/ephemeral/${this.seq}.json`, this.o.maxEntryBytes, signal);
      if (res.ok) {
        if (!(await this.deliver(res.body, signal))) return;
        this.onSuccess();
        this.seq++;
        // An ack may have landed while the push was in flight; let the watermark catch up.
        this.mark.advance(this.seq);
      } else if (res.reason === 'aborted') {
        return;
      } else if (res.reason === 'http_404') {
        await this.onMissing(signal);
      } else if (res.reason === 'too_large') {
        // Retrying cannot make it fit: count it, log it, and move past it so the feed goes on.
        this.deps.logger.warn({ seq: this.seq, reason: res.message }, 'r2z2 entry too large, skipped');
        this.seq++;
        this.mark.advance(this.seq);
      } else {
        await this.onFailure(res, signal);
      }
    }
  }

  /** Stored cursor + 1, else the tip from sequence.json (retried with back-off until it works). */
  private async resolveStart(signal: AbortSignal): Promise<number | undefined> {
    const stored = this.readCursor(this.deps.cursors);
    if (stored !== undefined) {
      this.mark.restore(stored);
      this.deps.logger.info({ cursor: stored }, 'r2z2 resuming after stored cursor');
      return stored + 1;
    }
    while (!signal.aborted) {
      const tip = await this.fetchTip(signal);
      if (typeof tip === 'number') {
        this.deps.logger.info({ sequence: tip }, 'r2z2 starting at sequence.json tip');
        this.mark.startAt(tip - 1);
        return tip;
      }
      if (tip.reason === 'aborted') return undefined;
      await this.onFailure(tip, signal);
    }
    return undefined;
  }

  private readCursor(cursors: CursorStore): number | undefined {
    const raw = cursors.getCursor(R2Z2_CURSOR);
    if (raw === undefined) return undefined;
    if (/^\d+$/.test(raw) && Number.isSafeInteger(Number(raw))) return Number(raw);
    this.tally.inc('cursor_invalid');
    this.deps.logger.warn({ cursor: raw }, 'r2z2 stored cursor is not a sequence number; starting at the tip');
    return undefined;
  }

  /** GET sequence.json → N, or the failure (already counted by get(), or here for a bad body). */
  private async fetchTip(signal: AbortSignal): Promise<number | FailedFetch> {
    const res = await this.get('/ephemeral/sequence.json', SEQUENCE_MAX_BYTES, signal);
    if (!res.ok) return res;
    const n = parseSequence(res.body);
    if (n !== undefined) return n;
    this.tally.inc('error.bad_sequence');
    this.lastError = 'bad_sequence: sequence.json is not {"sequence": N}';
    return { ok: false, reason: 'http_other', status: res.status, retryAfterMs: undefined, message: 'bad sequence.json' };
  }

  private async get(path: string, maxBytes: number, signal: AbortSignal): Promise<FetchResult> {
    if (!(await this.limiter.take(signal))) {
      return { ok: false, reason: 'aborted', status: 0, retryAfterMs: undefined, message: 'stopped' };
    }
    this.tally.inc('requests');
    const res = await fetchBytes(this.o.baseUrl + path, {
      userAgent: this.o.userAgent,
      timeoutMs: this.o.requestTimeoutMs,
      signal,
      maxBytes,
      ...(this.http !== undefined && { client: this.http }),
    });
    if (!res.ok && res.reason !== 'aborted' && res.reason !== 'http_404') {
      this.tally.inc(`error.${res.reason}`);
      this.lastError = `${res.reason}: ${res.message}`;
    }
    return res;
  }

  private async deliver(body: Uint8Array, signal: AbortSignal): Promise<boolean> {
    const seq = this.seq;
    this.mark.pushed(seq);
    const entry = { source: 'r2z2' as const, seq, body, receivedAtUs: epochUs(), cutoffMs: cutoffAt(this.o.cutoffSeconds) };
    const pushed = await pushEntry(this.deps.sink, entry, signal, () => this.tally.inc('backpressure_waits'));
    if (!pushed) {
      // Stopped while the sink was full: not pushed, so not pending; a restart re-fetches it.
      this.mark.withdrawn(seq);
      return false;
    }
    this.tally.inc('received');
    this.tally.inc('bytes', body.byteLength);
    this.lastEntryAtMs = Date.now();
    return true;
  }

  private onSuccess(): void {
    this.consecutiveErrors = 0;
    this.missesOnSeq = 0;
    this.errorBackoff.reset();
    this.blockedBackoff.reset();
  }

  /**
   * N is not published. At the tip that is normal: wait idleWaitMs and retry N, as zKillboard's
   * own consumer does. Every gapTries-th 404 in a row on the same N, read sequence.json: if it is
   * already past N, N left the ephemeral window (or was never written), so count a gap and move
   * to the oldest sequence still published. Checking only then keeps idle polling at one request
   * per idleWaitMs. Repairing the skipped range from /history/YYYYMMDD.json is not implemented
   * yet; the log line carries the range for a manual backfill.
   */
  private async onMissing(signal: AbortSignal): Promise<void> {
    this.tally.inc('not_found');
    this.consecutiveErrors = 0;
    this.missesOnSeq++;
    if (this.missesOnSeq % this.o.gapTries === 0) {
      const failure = await this.checkGap(signal);
      if (failure === 'skipped') return;
      // A 403/429 on the side requests must slow us down just as on {N}.json.
      if (failure !== undefined) return failure.reason === 'aborted' ? undefined : this.onFailure(failure, signal);
    }
    this.state = 'idle';
    await this.wait(this.o.idleWaitMs, signal);
  }

  /** 'skipped' after a gap, undefined when N is still the tip, else the failed request. */
  private async checkGap(signal: AbortSignal): Promise<'skipped' | FailedFetch | undefined> {
    const tip = await this.fetchTip(signal);
    if (typeof tip !== 'number') return tip;
    // sequence.json trails the real tip by up to ~51; far below our position
    // means the cursor belongs to another feed (an upstream reset, a changed URL, the simulator's
    // cursor in the same file): waiting would stall forever while looking healthy.
    if (tip + CURSOR_AHEAD_SLACK < this.seq) {
      this.tally.inc('cursor_ahead');
      this.deps.logger.warn({ cursor: this.seq - 1, tip }, 'r2z2 cursor is ahead of the feed; restarting at the sequence.json tip');
      this.mark.rewind(tip - 1);
      this.seq = tip;
      this.missesOnSeq = 0;
      return 'skipped';
    }
    if (tip <= this.seq) return undefined;
    let failure: FailedFetch | undefined;
    // From N itself: N may have been published between its 404 and this tip read (entries appear
    // in bursts); searching from N+1 skipped it as a gap and lost the kill.
    const next = await findOldestAvailable(this.seq, tip, async (k) => {
      const res = await this.get(`/ephemeral/${k}.json`, this.o.maxEntryBytes, signal);
      if (res.ok || res.reason === 'too_large') return true;
      if (res.reason === 'http_404') return false;
      failure = res;
      return undefined;
    });
    if (next === undefined) return failure;
    if (next === this.seq) {
      this.missesOnSeq = 0;
      return 'skipped'; // N is there now: read it at once
    }
    this.skipTo(next);
    return 'skipped';
  }

  private skipTo(next: number): void {
    const lost = next - this.seq;
    this.tally.inc('gap');
    this.tally.inc('gap_seqs', lost);
    this.deps.logger.warn({ from: this.seq, to: next - 1, lost }, 'r2z2 gap: sequences no longer published, skipped');
    this.seq = next;
    this.missesOnSeq = 0;
    this.mark.advance(this.seq);
  }

  private async onFailure(res: FailedFetch, signal: AbortSignal): Promise<void> {
    this.consecutiveErrors++;
    const blocked = res.reason === 'http_403' || res.reason === 'http_429';
    let waitMs: number;
    if (blocked) {
      // A 403/429 from zKillboard can turn into an hour-long ban if we keep polling (§2.4).
      // Retry-After is the server's own word, so it wins over our schedule (floored at 1 s, its unit).
      waitMs =
        res.retryAfterMs !== undefined
          ? Math.min(Math.max(res.retryAfterMs, 1000), this.o.maxBlockedBackoffMs)
          : this.blockedBackoff.next();
      this.state = 'blocked';
      this.tally.inc('blocked_backoffs');
    } else {
      waitMs = this.errorBackoff.next();
      this.state = 'backoff';
      this.tally.inc('backoffs');
    }
    const { reason, status, message } = res;
    this.deps.logger.warn({ seq: this.seq, reason, status, waitMs, message }, 'r2z2 request failed, backing off');
    await this.wait(waitMs, signal);
  }

  private async wait(ms: number, signal: AbortSignal): Promise<void> {
    this.retryAtMs = Date.now() + ms;
    await delay(ms, signal);
  }

  health(): ComponentHealth {
    const age = ageMs(this.lastEntryAtMs);
    const last = age === null ? 'no entry yet' : `last entry ${Math.round(age / 1000)} s ago`;
    if (this.state === 'new' || this.state === 'stopped' || this.state === 'crashed') {
      return { healthy: false, message: `r2z2 ${this.state}` };
    }
    if (this.state === 'blocked') {
      const inS = Math.max(0, Math.round((this.retryAtMs - Date.now()) / 1000));
      return { healthy: false, message: `r2z2 blocked by upstream (${this.lastError}), retry in ${inS} s; ${last}` };
    }
    if (this.consecutiveErrors >= 5) {
      return { healthy: false, message: `r2z2 ${this.consecutiveErrors} consecutive errors (${this.lastError}); ${last}` };
    }
    return { healthy: true, message: `r2z2 ${this.state} at seq ${this.seq}; ${last}` };
  }

  stats(): Record<string, number | string | boolean | null> {
    const out: Record<string, number | string | boolean | null> = {
      source: 'r2z2',
      state: this.state,
      seq: this.seq,
      watermark: this.mark.value,
      pending: this.mark.pendingCount,
      consecutiveErrors: this.consecutiveErrors,
      lastError: this.lastError,
      lastEntryAgeMs: ageMs(this.lastEntryAtMs),
      throttled: this.limiter.throttled,
      circuit: 'none',
    };
    for (const [k, v] of this.tally.entries()) out[k] = v;
    return out;
  }
}
