// Single-producer single-consumer byte ring over a SharedArrayBuffer: the hand-off between the
// main thread and the pipeline workers (docs/ARCHITECTURE.md#rings-and-records).
//
//   byte offset  Int32 slot          written by  meaning
//   0            HEAD          (0)   producer    write counter: bytes ever published, mod 2^32
//   64           TAIL         (16)   consumer    commit counter: bytes ever released, mod 2^32
//   68           READ         (17)   consumer    read cursor (>= TAIL): records in [TAIL, READ) were handed
//                                                out but not committed; crash recovery reads it
//   128          DATA_SIGNAL  (32)   producer    bumped + notified on empty -> non-empty; consumers wait here
//   192          SPACE_SIGNAL (48)   consumer    bumped + notified once SPACE_WANTED bytes are free
//   196          SPACE_WANTED (49)   producer    bytes a blocked producer waits for; 0 = nobody waits
//   256          data                            `capacity` bytes, a power of two; position = counter & mask
//
// HEAD, TAIL and the two signals sit on separate 64-byte lines so the producer's stores do not
// invalidate the consumer's line and vice versa (false sharing costs a cache miss per record).
//
// A record is a u32 length (native endianness: both sides run in one process) followed by the
// payload, padded so the next record starts 4-byte aligned. Because every record starts aligned
// and the capacity is a power of two, the length prefix never straddles the end; the payload may,
// and is then copied in two parts. We chose the split copy over a wrap marker: a marker wastes the
// tail of the buffer and, with records up to the whole capacity, can need more free bytes than the
// ring has; the split costs one extra copy for at most one record per lap, on the reader's side.
//
// Memory ordering: payload bytes are written with plain stores before Atomics.store(HEAD); the
// consumer's Atomics.load(HEAD) synchronises-with that store, so the bytes are visible. Likewise
// the consumer reads the payload before Atomics.store(TAIL) releases the space.
//
// Read is split from commit: a consumer reads a record, processes it, and only then commits
// (advances TAIL), so a consumer that dies leaves its uncommitted records in the ring for the next
// one (pipeline/lane.ts). A producer may write several records and publish them with one HEAD
// store and at most one notify. Throughput vs postMessage: see bench/micro/core/ring.bench.ts.
//
// Counters are Int32 and wrap; all differences go through `>>> 0`, valid while capacity <= 2^30.
import { WkError } from './errors.js';

export const HEAD = 0;
export const TAIL = 16;
export const READ = 17;
export const DATA_SIGNAL = 32;
export const SPACE_SIGNAL = 48;
export const SPACE_WANTED = 49;
export const RING_HEADER_BYTES = 256;
const LENGTH_PREFIX_BYTES = 4;
const MAX_CAPACITY = 2 ** 30;
const MIN_CAPACITY = 16;

// Atomics.waitAsync is in Node 20 (V8) but in TypeScript's ES2024 lib, not the ES2023 one we target.
type WaitAsync = (
  a: Int32Array,
  index: number,
  value: number,
  timeoutMs: number,
) => { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> };
const waitAsyncRaw: WaitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync.bind(Atomics);

function keepAlive(): void {
  // The timer exists only to hold the event loop open; its firing does nothing.
}

/** Slack so the keep-alive timer never fires before the wait's own timeout settles it. */
const KEEP_ALIVE_SLACK_MS = 1000;

/**
 * Atomics.waitAsync with a bounded timeout. A pending waitAsync does not keep Node's event loop
 * alive, so a ref'd timer does, outliving the wait's timeout, and is cleared as soon as it settles.
 */
function waitAsync(a: Int32Array, index: number, value: number, timeoutMs: number): Promise<WaitResult> {
  const r = waitAsyncRaw(a, index, value, timeoutMs);
  if (!r.async) return Promise.resolve(r.value);
  const timer = setTimeout(keepAlive, timeoutMs + KEEP_ALIVE_SLACK_MS);
  return r.value.finally(() => clearTimeout(timer));
}

export type WaitResult = 'ok' | 'not-equal' | 'timed-out';

/** Bytes one record of `payloadBytes` occupies in the ring (prefix + payload + alignment). */
export function ringRecordBytes(payloadBytes: number): number {
  return LENGTH_PREFIX_BYTES + ((payloadBytes + 3) & ~3);
}

/** Smallest power of two >= n (at least 16). */
export function nextPowerOfTwo(n: number): number {
  let c = MIN_CAPACITY;
  while (c < n) c *= 2;
  return c;
}

/** Allocate a ring whose data area holds `capacityBytes` rounded up to a power of two. */
export function createRingBuffer(capacityBytes: number): SharedArrayBuffer {
  const capacity = nextPowerOfTwo(capacityBytes);
  if (capacity > MAX_CAPACITY) {
    throw new RangeError(`ring capacity ${capacity} exceeds ${MAX_CAPACITY} bytes`);
  }
  return new SharedArrayBuffer(RING_HEADER_BYTES + capacity);
}

/** Shared views and arithmetic used by both ends. */
class RingView {
  protected readonly i32: Int32Array;
  protected readonly bytes: Uint8Array;
  protected readonly u32: Uint32Array;
  readonly capacity: number;
  protected readonly mask: number;

  constructor(sab: SharedArrayBuffer) {
    const capacity = sab.byteLength - RING_HEADER_BYTES;
    if (capacity < MIN_CAPACITY || (capacity & (capacity - 1)) !== 0 || capacity > MAX_CAPACITY) {
      throw new RangeError(`ring data area must be a power of two in [${MIN_CAPACITY}, ${MAX_CAPACITY}], got ${capacity}`);
    }
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.i32 = new Int32Array(sab, 0, RING_HEADER_BYTES / 4);
    this.bytes = new Uint8Array(sab, RING_HEADER_BYTES, capacity);
    this.u32 = new Uint32Array(sab, RING_HEADER_BYTES, capacity / 4);
  }

  /** Bytes published and not yet committed (records the consumer still owns count here). */
  usedBytes(): number {
    return (Atomics.load(this.i32, HEAD) - Atomics.load(this.i32, TAIL)) >>> 0;
  }

  freeBytes(): number {
    return this.capacity - this.usedBytes();
  }

  /** Largest payload a single record may carry. */
  maxRecordBytes(): number {
    return this.capacity - LENGTH_PREFIX_BYTES;
  }
}

export class RingWriter extends RingView {
  /** Write counter including records written but not yet published. */
  private head: number;
  private published: number;
  private cachedTail: number;

  constructor(sab: SharedArrayBuffer) {
    super(sab);
    this.head = Atomics.load(this.i32, HEAD);
    this.published = this.head;
    this.cachedTail = Atomics.load(this.i32, TAIL);
  }

  /** Reload HEAD from shared memory: call when this thread takes over as the producer. */
  sync(): void {
    this.head = Atomics.load(this.i32, HEAD);
    this.published = this.head;
    this.cachedTail = Atomics.load(this.i32, TAIL);
  }

  /**
   * Write one record made of `header` (optional) followed by `body`, and publish it unless
   * `publish` is false (then call publish() once for the batch: one HEAD store and at most one
   * notify per batch instead of per record). Returns false when the ring lacks space
   * (back-pressure); throws ERR_RING_RECORD_TOO_LARGE when it never could fit.
   */
  tryWrite(body: Uint8Array, header?: Uint8Array, publish = true): boolean {
    const payload = (header === undefined ? 0 : header.byteLength) + body.byteLength;
    const need = ringRecordBytes(payload);
    if (need > this.capacity) {
      throw new WkError('ERR_RING_RECORD_TOO_LARGE', `record of ${payload} bytes exceeds ring capacity ${this.capacity}`);
    }
    // The cached TAIL only ever lags, so a fit against it is safe; reload only on a miss.
    if (this.capacity - ((this.head - this.cachedTail) >>> 0) < need) {
      this.cachedTail = Atomics.load(this.i32, TAIL);
      if (this.capacity - ((this.head - this.cachedTail) >>> 0) < need) return false;
    }
    const pos = this.head & this.mask;
    this.u32[pos >>> 2] = payload;
    let p = (pos + LENGTH_PREFIX_BYTES) & this.mask;
    if (header !== undefined) p = this.copyIn(header, p);
    this.copyIn(body, p);
    this.head = (this.head + need) | 0;
    if (publish) this.publish();
    return true;
  }

  /** Make every record written so far visible to the consumer. */
  publish(): void {
    if (this.head === this.published) return;
    const before = this.published;
    this.published = this.head;
    Atomics.store(this.i32, HEAD, this.head);
    // Notify only on empty -> non-empty: a consumer sleeps only after committing everything,
    // so if TAIL still equals the old HEAD it may be asleep; otherwise it is busy and will see us.
    if (Atomics.load(this.i32, TAIL) === before) {
      Atomics.add(this.i32, DATA_SIGNAL, 1);
      Atomics.notify(this.i32, DATA_SIGNAL);
    }
  }

  private copyIn(src: Uint8Array, p: number): number {
    const first = Math.min(src.byteLength, this.capacity - p);
    if (first === src.byteLength) {
      this.bytes.set(src, p);
    } else {
      this.bytes.set(src.subarray(0, first), p);
      this.bytes.set(src.subarray(first), 0);
    }
    return (p + src.byteLength) & this.mask;
  }

  /** True when a record of `payloadBytes` fits now. */
  canFit(payloadBytes: number): boolean {
    return this.freeBytes() >= ringRecordBytes(payloadBytes);
  }

  /** Ask the consumer to notify SPACE_SIGNAL once `payloadBytes` fit; returns the signal to wait on. */
  private announce(payloadBytes: number): number | undefined {
    this.publish(); // the consumer can only free space by draining what we already wrote
    const signal = Atomics.load(this.i32, SPACE_SIGNAL);
    Atomics.store(this.i32, SPACE_WANTED, ringRecordBytes(payloadBytes));
    // Re-check after announcing (seq-cst): either we see the consumer's TAIL or it sees our want.
    if (this.canFit(payloadBytes)) {
      Atomics.store(this.i32, SPACE_WANTED, 0);
      return undefined;
    }
    return signal;
  }

  /** Blocking wait for space. Workers only; the main thread uses waitForSpaceAsync. */
  waitForSpace(payloadBytes: number, timeoutMs: number): WaitResult {
    const signal = this.announce(payloadBytes);
    if (signal === undefined) return 'ok';
    return Atomics.wait(this.i32, SPACE_SIGNAL, signal, timeoutMs);
  }

  /** Non-blocking wait for space (main thread), resolved by the consumer's commit or the timeout. */
  waitForSpaceAsync(payloadBytes: number, timeoutMs: number): Promise<WaitResult> {
    const signal = this.announce(payloadBytes);
    if (signal === undefined) return Promise.resolve('ok');
    return waitAsync(this.i32, SPACE_SIGNAL, signal, timeoutMs);
  }
}

export class RingReader extends RingView {
  private cursor: number;
  private cachedHead: number;

  constructor(sab: SharedArrayBuffer) {
    super(sab);
    this.cursor = Atomics.load(this.i32, TAIL);
    this.cachedHead = Atomics.load(this.i32, HEAD);
  }

  /** Forget uncommitted reads and restart at TAIL: call when this thread takes over as consumer. */
  sync(): void {
    this.cursor = Atomics.load(this.i32, TAIL);
    this.cachedHead = Atomics.load(this.i32, HEAD);
    Atomics.store(this.i32, READ, this.cursor);
  }

  /** The read cursor the last consumer published (records in [TAIL, READ) were in its hands). */
  publishedReadCursor(): number {
    return Atomics.load(this.i32, READ);
  }

  committedCursor(): number {
    return Atomics.load(this.i32, TAIL);
  }

  /** Counter just past the last record returned by read(); pass it to commit(). */
  get position(): number {
    return this.cursor;
  }

  /** True when every published record has been read (not necessarily committed). */
  isDrained(): boolean {
    if (this.cursor !== this.cachedHead) return false;
    this.cachedHead = Atomics.load(this.i32, HEAD);
    return this.cursor === this.cachedHead;
  }

  /**
   * The next record, or undefined when none is published. The view aliases the ring and stays
   * valid only until the commit that covers it; a record that wraps is returned as a copy.
   */
  read(): Uint8Array | undefined {
    const out = this.peek();
    if (out === undefined) return undefined;
    this.cursor = (this.cursor + ringRecordBytes(out.byteLength)) | 0;
    Atomics.store(this.i32, READ, this.cursor);
    return out;
  }

  /** The next record without advancing the read cursor. */
  peek(): Uint8Array | undefined {
    if (this.isDrained()) return undefined;
    const pos = this.cursor & this.mask;
    const len = this.u32[pos >>> 2] ?? 0;
    const start = (pos + LENGTH_PREFIX_BYTES) & this.mask;
    if (start + len <= this.capacity) return this.bytes.subarray(start, start + len);
    const copy = new Uint8Array(len);
    const first = this.capacity - start;
    copy.set(this.bytes.subarray(start), 0);
    copy.set(this.bytes.subarray(0, len - first), first);
    return copy;
  }

  /** Release every record up to `position` (default: all read so far) to the producer. */
  commit(position: number = this.cursor): void {
    Atomics.store(this.i32, TAIL, position);
    const wanted = Atomics.load(this.i32, SPACE_WANTED);
    if (wanted === 0) return;
    const free = this.capacity - ((Atomics.load(this.i32, HEAD) - position) >>> 0);
    if (free >= wanted && Atomics.compareExchange(this.i32, SPACE_WANTED, wanted, 0) === wanted) {
      Atomics.add(this.i32, SPACE_SIGNAL, 1);
      Atomics.notify(this.i32, SPACE_SIGNAL);
    }
  }

  private dataSignal(): number | undefined {
    const signal = Atomics.load(this.i32, DATA_SIGNAL);
    return this.isDrained() ? signal : undefined;
  }

  /**
   * Blocking wait for data. Workers only, and only when idle. Commit before waiting:
   * the producer notifies on committed-empty -> non-empty, so uncommitted reads make the wait
   * run to its timeout.
   */
  waitForData(timeoutMs: number): WaitResult {
    const signal = this.dataSignal();
    if (signal === undefined) return 'not-equal';
    return Atomics.wait(this.i32, DATA_SIGNAL, signal, timeoutMs);
  }

  /** Main-thread wait for data: Atomics.waitAsync with a bounded timeout, never Atomics.wait. */
  waitForDataAsync(timeoutMs: number): Promise<WaitResult> {
    const signal = this.dataSignal();
    if (signal === undefined) return Promise.resolve('not-equal');
    return waitAsync(this.i32, DATA_SIGNAL, signal, timeoutMs);
  }

  /** Wake every waiter on DATA_SIGNAL (used on shutdown so loops exit without their timeout). */
  wakeWaiters(): void {
    Atomics.add(this.i32, DATA_SIGNAL, 1);
    Atomics.notify(this.i32, DATA_SIGNAL);
  }
}
