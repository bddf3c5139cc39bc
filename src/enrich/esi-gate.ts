// When an ESI request may be sent. Three independent limits:
// - the legacy error limit, global per source IP: `X-ESI-Error-Limit-Remain/Reset`, 420 when spent;
// - token buckets per rate-limit group: `X-Ratelimit-Limit` ("3600/15m"), `X-Ratelimit-Remaining`,
//   429 with `Retry-After` when empty;
// - our own concurrency cap per route group.
// The gate slows down *before* a limit (low remain → wait for the reset; few tokens left → pace
// requests so the rest last the window) and, after a 420/429, holds every later request until the
// announced time: a request is never sent before that instant (checked again after every sleep,
// because a 420 can arrive while we wait).
// With a SharedLimits (esi-shared-limits.ts) the gate also publishes what it learns and waits for
// the max of its own and the shared state, so every worker thread of the process keeps to the one
// per-IP budget; without one it only uses its own state.
import { parseRetryAfterMs } from '../net/headers.js';
import { ConcurrencyLimiter } from '../net/limiter.js';
import type { SharedLimits } from './esi-shared-limits.js';
import type { EsiRouteGroup } from './esi-routes.js';

export { ESI_ROUTE_GROUPS, type EsiRouteGroup } from './esi-routes.js';

/** Cost of one successful request in bucket tokens (2xx = 2, as ESI charges). */
const TOKENS_PER_REQUEST = 2;
/** Below this share of the bucket we pace requests instead of spending the rest at once. */
const PACE_BELOW_SHARE = 0.1;
/** Used when a 420 carries no reset header: ESI's error window is one minute. */
const DEFAULT_ERROR_RESET_MS = 60_000;
/** Used when a 429 carries no Retry-After. */
const DEFAULT_RETRY_AFTER_MS = 5_000;

export interface EsiGateOptions {
  maxConcurrencyPerRoute: number;
  /** Hold new requests until the reset once `X-ESI-Error-Limit-Remain` is at or below this. */
  errorLimitLowWater: number;
  now: () => number;
  /** Limits shared with the other worker threads of the process (same clock: Date.now). */
  shared?: SharedLimits;
}

interface GroupState {
  group: EsiRouteGroup;
  /** Our own concurrency cap for the group (maxConcurrencyPerRoute; waiters are never refused). */
  slots: ConcurrencyLimiter;
  /** 429 Retry-After: no request of this group before this instant (epoch ms). */
  pausedUntilMs: number;
  /** Token pacing: the earliest instant the next request may start; 0 when not pacing. */
  nextSlotMs: number;
  paceIntervalMs: number;
}

export interface GateSnapshot {
  errorRemain: number;
  errorResetAtMs: number;
  pausedUntilMs: number;
}

export class EsiGate {
  private readonly groups = new Map<EsiRouteGroup, GroupState>();
  private readonly sleeps = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  private errorRemain = Number.POSITIVE_INFINITY;
  private errorResetAtMs = 0;
  /** 420: nothing at all is sent before this instant. */
  private pausedUntilMs = 0;
  private closed = false;

  constructor(private readonly opts: EsiGateOptions) {}

  /** Waits for a concurrency slot and every time limit. Pair each call with release(group). */
  async acquire(group: EsiRouteGroup): Promise<void> {
    const st = this.state(group);
    await st.slots.acquire();
    // A shared pacing slot is claimed once, only after every pause has passed: claimed earlier,
    // slots would lapse during a long pause and the requests behind it would burst.
    let reservedMs = -1;
    for (;;) {
      if (this.closed) return;
      let waitMs = this.waitMs(st, reservedMs);
      if (waitMs <= 0 && reservedMs < 0) {
        reservedMs = this.claimSharedSlot(group);
        waitMs = this.waitMs(st, reservedMs);
      }
      if (waitMs <= 0) break;
      await this.sleep(waitMs);
    }
    if (st.paceIntervalMs > 0) st.nextSlotMs = Math.max(this.opts.now(), st.nextSlotMs) + st.paceIntervalMs;
  }

  release(group: EsiRouteGroup): void {
    this.state(group).slots.release(); // the slot passes to a waiter, if any
  }

  /** Reads the limit headers of any response, including errors. */
  onResponse(group: EsiRouteGroup, status: number, headers: Headers): void {
    const now = this.opts.now();
    const remain = intHeader(headers, 'x-esi-error-limit-remain');
    const resetS = intHeader(headers, 'x-esi-error-limit-reset');
    if (remain !== undefined) this.errorRemain = remain;
    if (resetS !== undefined) this.errorResetAtMs = now + resetS * 1000;
    if (status === 420) {
      const pauseMs = resetS !== undefined ? Math.max(1, resetS) * 1000 : (retryAfterMs(headers, now) ?? DEFAULT_ERROR_RESET_MS);
      this.pausedUntilMs = Math.max(this.pausedUntilMs, now + pauseMs);
    }
    const st = this.state(group);
    if (status === 429) {
      st.pausedUntilMs = Math.max(st.pausedUntilMs, now + (retryAfterMs(headers, now) ?? DEFAULT_RETRY_AFTER_MS));
    }
    this.readBucket(st, headers);
    if (this.opts.shared !== undefined) this.publish(group, status, headers, now);
  }

  snapshot(): GateSnapshot {
    return { errorRemain: this.errorRemain, errorResetAtMs: this.errorResetAtMs, pausedUntilMs: this.pausedUntilMs };
  }

  /** Wakes every sleeper so requests finish (as `aborted`) instead of holding the thread open. */
  close(): void {
    this.closed = true;
    for (const s of this.sleeps) {
      clearTimeout(s.timer);
      s.resolve();
    }
    this.sleeps.clear();
    for (const st of this.groups.values()) {
      // Each woken waiter holds a slot it will release, like a waiter woken by release().
      st.slots.wakeAll();
    }
  }

  /** Cancellable sleep used by the client's back-off too, so close() never waits for a timer. */
  sleep(ms: number): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      const entry = {
        timer: setTimeout(() => {
          this.sleeps.delete(entry);
          resolve();
        }, Math.ceil(ms)),
        resolve,
      };
      this.sleeps.add(entry);
    });
  }

  private waitMs(st: GroupState, reservedMs: number): number {
    const now = this.opts.now();
    let until = Math.max(this.pausedUntilMs, st.pausedUntilMs, st.nextSlotMs, reservedMs);
    if (this.errorRemain <= this.opts.errorLimitLowWater && this.errorResetAtMs > now) {
      until = Math.max(until, this.errorResetAtMs);
    }
    const shared = this.opts.shared;
    if (shared !== undefined) {
      until = Math.max(until, shared.globalPauseUntil(), shared.groupPauseUntil(st.group));
      const err = shared.errorLimit();
      if (err !== undefined && err.remain <= this.opts.errorLimitLowWater && err.resetAtMs > now) {
        until = Math.max(until, err.resetAtMs);
      }
    }
    return until - now;
  }

  /** Writes what a response said into the shared state (mirrors the local updates above). */
  private publish(group: EsiRouteGroup, status: number, headers: Headers, now: number): void {
    const shared = this.opts.shared as SharedLimits;
    const remain = intHeader(headers, 'x-esi-error-limit-remain');
    const resetS = intHeader(headers, 'x-esi-error-limit-reset');
    if (remain !== undefined && resetS !== undefined) {
      shared.noteErrorLimit(remain, now + resetS * 1000);
      // Nearly spent: a monotonic pause, so a late response with a higher remain cannot lift it.
      if (remain <= this.opts.errorLimitLowWater) shared.pauseAllUntil(now + resetS * 1000);
    }
    if (status === 420) shared.pauseAllUntil(this.pausedUntilMs);
    if (status === 429) shared.pauseGroupUntil(group, this.state(group).pausedUntilMs);
    const remaining = intHeader(headers, 'x-ratelimit-remaining');
    const limit = parseBucketLimit(headers.get('x-ratelimit-limit'));
    if (remaining !== undefined && limit !== undefined) shared.noteBucket(group, remaining, limit.tokens, limit.windowMs, now);
  }

  /**
   * With shared state and a bucket nearly empty process-wide, reserves this request's place in the
   * group's shared pacing (one slot per interval across all threads); -1 = not pacing. Without
   * shared state, pacing stays the local nextSlotMs.
   */
  private claimSharedSlot(group: EsiRouteGroup): number {
    const shared = this.opts.shared;
    if (shared === undefined) return -1;
    const now = this.opts.now();
    const b = shared.bucket(group, now);
    const interval = b === undefined ? 0 : paceIntervalMs(b.remaining, b.tokens, b.windowMs);
    return interval > 0 ? shared.claimPaceSlot(group, now, interval) : -1;
  }

  private readBucket(st: GroupState, headers: Headers): void {
    const remaining = intHeader(headers, 'x-ratelimit-remaining');
    const limit = parseBucketLimit(headers.get('x-ratelimit-limit'));
    if (remaining === undefined || limit === undefined) return;
    // Spread what is left over the window at the bucket's sustainable rate instead of bursting
    // into a 429; above the threshold requests go at full speed.
    st.paceIntervalMs = paceIntervalMs(remaining, limit.tokens, limit.windowMs);
    if (st.paceIntervalMs === 0) st.nextSlotMs = 0;
  }

  private state(group: EsiRouteGroup): GroupState {
    let st = this.groups.get(group);
    if (st === undefined) {
      st = {
        group,
        slots: new ConcurrencyLimiter(this.opts.maxConcurrencyPerRoute, Infinity),
        pausedUntilMs: 0,
        nextSlotMs: 0,
        paceIntervalMs: 0,
      };
      this.groups.set(group, st);
    }
    return st;
  }
}

/** Pacing step when few tokens are left (bucket sustainable rate), else 0 (full speed). */
function paceIntervalMs(remaining: number, tokens: number, windowMs: number): number {
  return remaining <= tokens * PACE_BELOW_SHARE ? (windowMs * TOKENS_PER_REQUEST) / tokens : 0;
}

function intHeader(headers: Headers, name: string): number | undefined {
  const raw = headers.get(name);
  if (raw === null || !/^\s*\d+\s*$/.test(raw)) return undefined;
  return Number(raw);
}

/** Retry-After as delta seconds or an HTTP date, in ms from `nowMs`. */
export function retryAfterMs(headers: Headers, nowMs: number): number | undefined {
  return parseRetryAfterMs(headers.get('retry-after'), nowMs);
}

const WINDOW_UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `X-Ratelimit-Limit: 150/15m` → 150 tokens per 900,000 ms. */
export function parseBucketLimit(raw: string | null): { tokens: number; windowMs: number } | undefined {
  if (raw === null) return undefined;
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*([smhd])\s*$/.exec(raw);
  if (m === null) return undefined;
  const tokens = Number(m[1]);
  const unit = WINDOW_UNIT_MS[m[3] ?? ''];
  if (tokens <= 0 || unit === undefined) return undefined;
  return { tokens, windowMs: Number(m[2]) * unit };
}
