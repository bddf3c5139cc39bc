// ESI's error limit and token buckets count per source IP, not per thread: every pipeline worker
// of the process spends the same budget. Each worker's EsiGate therefore also publishes what it
// learns from response headers here and waits for the max of its own and this shared state, so
// one worker's 420 pauses them all instead of each collecting its own 420.
//
// Slot table: one SharedArrayBuffer viewed as a BigInt64Array (epoch ms need more than 32 bits;
// Atomics works on BigInt64Array). Every slot is read and written only with Atomics.
//
//   slot  name                      value
//   0     LAYOUT                    LAYOUT_TAG, written once by createSharedLimits (checks the buffer)
//   1     GLOBAL_PAUSE_UNTIL        epoch ms; nothing is sent before it. Max-merged (CAS loop).
//                                   Raised on a 420 (now + reset) and when a response's
//                                   X-ESI-Error-Limit-Remain is at or below the low-water mark
//                                   (until its reset).
//   2     ERROR_LIMIT               packed (resetAtMs << 20) | remain, 0 = nothing seen yet.
//                                   remain clamped to 2^20 - 1; resetAtMs < 2^43 (year 2248).
//   3+4g  GROUP_PAUSE_UNTIL[g]      epoch ms; 429 Retry-After of route group g. Max-merged.
//   4+4g  BUCKET[g]                 packed (windowS << 42) | (limit << 21) | remaining,
//                                   0 = no X-Ratelimit-* headers seen for g. Last writer wins.
//   5+4g  BUCKET_UPDATED_AT[g]      epoch ms of the response that wrote BUCKET[g].
//   6+4g  NEXT_SLOT[g]              epoch ms of the next free pacing slot of g (claimed by CAS).
//   g is the index of the group in ESI_ROUTE_GROUPS.
//
// Memory ordering: Atomics operations are sequentially consistent, but nothing here relies on
// ordering between two slots for correctness: values read together (remain + reset, the bucket
// numbers) are packed into one 64-bit word, so a reader never sees half of an update. The one
// pair is BUCKET/BUCKET_UPDATED_AT, used only to ignore bucket numbers older than their window:
// the writer stores UPDATED_AT before BUCKET and readers load BUCKET before UPDATED_AT, so a reader
// that sees a new BUCKET sees its UPDATED_AT or a later one. All gates sharing a buffer must use
// the same clock (Date.now, shared by the threads of one process).
import { ESI_ROUTE_GROUPS, type EsiRouteGroup } from './esi-routes.js';

const LAYOUT_TAG = 0x45534931n; // "ESI1"; bump when the slot table changes
const SLOT_LAYOUT = 0;
const SLOT_GLOBAL_PAUSE = 1;
const SLOT_ERROR_LIMIT = 2;
const GROUP_BASE = 3;
const SLOTS_PER_GROUP = 4;
const G_PAUSE = 0;
const G_BUCKET = 1;
const G_UPDATED_AT = 2;
const G_NEXT_SLOT = 3;
const SLOT_COUNT = GROUP_BASE + SLOTS_PER_GROUP * ESI_ROUTE_GROUPS.length;

const REMAIN_BITS = 20n;
const REMAIN_MAX = (1n << REMAIN_BITS) - 1n;
const MAX_EPOCH_MS = (1n << 43n) - 1n;
const BUCKET_FIELD_BITS = 21n;
const BUCKET_FIELD_MAX = (1n << BUCKET_FIELD_BITS) - 1n;
/** Reset headers are whole seconds: two responses of one window may disagree by up to this. */
const SAME_WINDOW_MS = 1000;

export interface SharedErrorLimit {
  remain: number;
  resetAtMs: number;
}

export interface SharedBucket {
  remaining: number;
  tokens: number;
  windowMs: number;
  updatedAtMs: number;
}

/** A zeroed slot table for one process; hand it to every worker through workerData. */
export function createSharedLimits(): SharedArrayBuffer {
  const sab = new SharedArrayBuffer(SLOT_COUNT * BigInt64Array.BYTES_PER_ELEMENT);
  Atomics.store(new BigInt64Array(sab), SLOT_LAYOUT, LAYOUT_TAG);
  return sab;
}

export class SharedLimits {
  private readonly slots: BigInt64Array;

  constructor(buffer: SharedArrayBuffer) {
    if (buffer.byteLength !== SLOT_COUNT * BigInt64Array.BYTES_PER_ELEMENT) {
      throw new RangeError(`shared ESI limits: buffer of ${buffer.byteLength} bytes, expected ${SLOT_COUNT * 8} (use createSharedLimits)`);
    }
    this.slots = new BigInt64Array(buffer);
    if (Atomics.load(this.slots, SLOT_LAYOUT) !== LAYOUT_TAG) {
      throw new RangeError('shared ESI limits: unknown slot layout (use createSharedLimits)');
    }
  }

  /** 420 or error limit nearly spent: no request of any group before `untilMs`. */
  pauseAllUntil(untilMs: number): void {
    this.raise(SLOT_GLOBAL_PAUSE, untilMs);
  }

  globalPauseUntil(): number {
    return Number(Atomics.load(this.slots, SLOT_GLOBAL_PAUSE));
  }

  /**
   * Records X-ESI-Error-Limit-Remain/Reset. A later window replaces the stored one; within one
   * window the lower remain wins, so a response that was in flight (and counted fewer errors)
   * cannot raise it again.
   */
  noteErrorLimit(remain: number, resetAtMs: number): void {
    const reset = epochMs(resetAtMs);
    const rem = BigInt(Math.max(0, Math.floor(remain)));
    for (;;) {
      const old = Atomics.load(this.slots, SLOT_ERROR_LIMIT);
      let next = pack(rem > REMAIN_MAX ? REMAIN_MAX : rem, reset);
      if (old !== 0n) {
        const oldReset = old >> REMAIN_BITS;
        const oldRemain = old & REMAIN_MAX;
        if (reset < oldReset - BigInt(SAME_WINDOW_MS)) return; // an older window: ignore
        if (reset <= oldReset + BigInt(SAME_WINDOW_MS)) {
          next = pack(rem < oldRemain ? rem : oldRemain, reset > oldReset ? reset : oldReset);
        }
      }
      if (next === old || Atomics.compareExchange(this.slots, SLOT_ERROR_LIMIT, old, next) === old) return;
    }
  }

  errorLimit(): SharedErrorLimit | undefined {
    const word = Atomics.load(this.slots, SLOT_ERROR_LIMIT);
    if (word === 0n) return undefined;
    return { remain: Number(word & REMAIN_MAX), resetAtMs: Number(word >> REMAIN_BITS) };
  }

  /** 429 Retry-After of `group`: none of its requests before `untilMs`. */
  pauseGroupUntil(group: EsiRouteGroup, untilMs: number): void {
    this.raise(groupSlot(group, G_PAUSE), untilMs);
  }

  groupPauseUntil(group: EsiRouteGroup): number {
    return Number(Atomics.load(this.slots, groupSlot(group, G_PAUSE)));
  }

  /** Records X-Ratelimit-Remaining/Limit of `group` as seen at `nowMs`. */
  noteBucket(group: EsiRouteGroup, remaining: number, tokens: number, windowMs: number, nowMs: number): void {
    const windowS = BigInt(Math.min(Number(BUCKET_FIELD_MAX), Math.max(1, Math.ceil(windowMs / 1000))));
    const limit = clampField(tokens);
    const rem = clampField(Math.min(remaining, tokens));
    Atomics.store(this.slots, groupSlot(group, G_UPDATED_AT), epochMs(nowMs));
    Atomics.store(this.slots, groupSlot(group, G_BUCKET), (windowS << (2n * BUCKET_FIELD_BITS)) | (limit << BUCKET_FIELD_BITS) | rem);
  }

  /** The last bucket numbers of `group`, or undefined when none were seen within their window. */
  bucket(group: EsiRouteGroup, nowMs: number): SharedBucket | undefined {
    const word = Atomics.load(this.slots, groupSlot(group, G_BUCKET));
    if (word === 0n) return undefined;
    const updatedAtMs = Number(Atomics.load(this.slots, groupSlot(group, G_UPDATED_AT)));
    const windowMs = Number(word >> (2n * BUCKET_FIELD_BITS)) * 1000;
    // After a whole window every token spent before the update has come back.
    if (nowMs - updatedAtMs >= windowMs) return undefined;
    const tokens = Number((word >> BUCKET_FIELD_BITS) & BUCKET_FIELD_MAX);
    return { remaining: Number(word & BUCKET_FIELD_MAX), tokens, windowMs, updatedAtMs };
  }

  /**
   * Reserves the next pacing slot of `group` for all threads: returns the instant the caller may
   * start (never before `nowMs`) and moves the group's next slot `intervalMs` past it.
   */
  claimPaceSlot(group: EsiRouteGroup, nowMs: number, intervalMs: number): number {
    const slot = groupSlot(group, G_NEXT_SLOT);
    const now = epochMs(nowMs);
    const step = BigInt(Math.max(0, Math.ceil(intervalMs)));
    for (;;) {
      const old = Atomics.load(this.slots, slot);
      const start = old > now ? old : now;
      if (Atomics.compareExchange(this.slots, slot, old, start + step) === old) return Number(start);
    }
  }

  /** slot = max(slot, untilMs), atomically. */
  private raise(index: number, untilMs: number): void {
    const next = epochMs(untilMs);
    for (;;) {
      const old = Atomics.load(this.slots, index);
      if (old >= next || Atomics.compareExchange(this.slots, index, old, next) === old) return;
    }
  }
}

function groupSlot(group: EsiRouteGroup, field: number): number {
  const g = ESI_ROUTE_GROUPS.indexOf(group);
  if (g < 0) throw new RangeError(`shared ESI limits: unknown route group ${group}`);
  return GROUP_BASE + g * SLOTS_PER_GROUP + field;
}

function pack(remain: bigint, resetAtMs: bigint): bigint {
  return (resetAtMs << REMAIN_BITS) | remain;
}

function clampField(n: number): bigint {
  return BigInt(Math.min(Number(BUCKET_FIELD_MAX), Math.max(0, Math.floor(n))));
}

/**
 * An epoch-ms time as a slot value: clamped to 0..2^43-1 (year 2248) so that it fits the packed
 * ERROR_LIMIT word; a header absurd enough to parse as Infinity or NaN must not throw here.
 */
function epochMs(v: number): bigint {
  if (Number.isNaN(v) || v <= 0) return 0n;
  if (v >= Number(MAX_EPOCH_MS)) return MAX_EPOCH_MS; // Infinity too
  return BigInt(Math.ceil(v));
}
