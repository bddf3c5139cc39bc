// Main-thread side of one lane: the ingest ring main produces into and the result ring it
// consumes. At most one drain task per lane is outstanding, so each ring has exactly one
// producer and one consumer at any time; main becomes the ingest consumer only while no task is
// outstanding (crash recovery, dead-lettering).
//
// Crash recovery: a rejected task leaves every unfinished entry in the ingest ring (the worker
// commits TAIL only after writing the entry's result). Entries in [TAIL, READ) were in the dead
// worker's hands; each gets one attempt. Entries with an attempt are then processed one at a time
// (sequentialThroughId), so a second crash pins the culprit at TAIL, which is dead-lettered.
import type { PipelineOutcome, RawEntry } from '../core/ports.js';
import { RingReader, RingWriter, createRingBuffer } from '../core/ring.js';
import { ENTRY_HEADER_BYTES, EntryHeaderWriter, decodeEntryHeader, readEntryId } from './entry-header.js';
import { toOutcome, type ResultCodec } from './result-codec.js';
import type { LaneBuffers } from './types.js';

export interface CrashReport {
  /** Entries that were in flight and will run again. */
  retried: number;
  deadLettered: PipelineOutcome[];
  /** False when the crash happened with no entry in flight (no progress to attribute). */
  hadEntries: boolean;
}

export class Lane {
  readonly buffers: LaneBuffers;
  private readonly writer: RingWriter;
  private readonly takeover: RingReader;
  private readonly results: RingReader;
  private readonly header = new EntryHeaderWriter();
  private readonly attempts = new Map<number, number>();
  private nextEntryId = 1;
  private lastAcceptedId = 0;
  /** Entries pushed whose outcome was not delivered yet. */
  inFlight = 0;
  taskOutstanding = false;
  sequentialThroughId = 0;
  crashStreak = 0;
  resubmitTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly index: number,
    ingestBytes: number,
    resultBytes: number,
  ) {
    this.buffers = { ingest: createRingBuffer(ingestBytes), result: createRingBuffer(resultBytes) };
    this.writer = new RingWriter(this.buffers.ingest);
    this.takeover = new RingReader(this.buffers.ingest);
    this.results = new RingReader(this.buffers.result);
  }

  tryPush(entry: RawEntry): boolean {
    const header = this.header.encode({
      entryId: this.nextEntryId,
      seq: entry.seq,
      receivedAtUs: entry.receivedAtUs,
      cutoffMs: entry.cutoffMs,
      source: entry.source,
    });
    if (!this.writer.tryWrite(entry.body, header)) return false;
    this.nextEntryId++;
    this.inFlight++;
    return true;
  }

  ingestFreeBytes(): number {
    return this.writer.freeBytes();
  }

  ingestUsedBytes(): number {
    return this.writer.usedBytes();
  }

  resultUsedBytes(): number {
    return this.results.usedBytes();
  }

  canFit(bodyBytes: number): boolean {
    return this.writer.canFit(bodyBytes + ENTRY_HEADER_BYTES);
  }

  waitForSpace(bodyBytes: number, timeoutMs: number): Promise<unknown> {
    return this.writer.waitForSpaceAsync(bodyBytes + ENTRY_HEADER_BYTES, timeoutMs);
  }

  waitForResults(timeoutMs: number): Promise<unknown> {
    return this.results.waitForDataAsync(timeoutMs);
  }

  wakeResultWaiters(): void {
    this.results.wakeWaiters();
  }

  /** Entries are waiting in the ingest ring (read or not). */
  hasWork(): boolean {
    return this.writer.usedBytes() > 0;
  }

  /** Decode every ready result into `out`; returns how many duplicates (crash after write, before commit) were dropped. */
  drainResults(codec: ResultCodec, out: PipelineOutcome[]): number {
    let rec = this.results.read();
    if (rec === undefined) return 0;
    let duplicates = 0;
    while (rec !== undefined) {
      const r = codec.decode(rec);
      if (r.entryId > this.lastAcceptedId) {
        this.accept(r.entryId);
        out.push(toOutcome(r));
      } else {
        duplicates++;
      }
      rec = this.results.read();
    }
    this.results.commit();
    return duplicates;
  }

  private accept(entryId: number): void {
    this.lastAcceptedId = entryId;
    this.inFlight--;
    if (this.attempts.size > 0) this.attempts.delete(entryId);
  }

  /** Call after a rejected drain task, once its results are drained and while no task is outstanding. */
  recoverAfterCrash(): CrashReport {
    const readMark = this.takeover.publishedReadCursor();
    this.takeover.sync();
    let lastInFlight = 0;
    let retried = 0;
    while (this.takeover.position !== readMark) {
      const rec = this.takeover.read();
      if (rec === undefined) break;
      const id = readEntryId(rec);
      if (id <= this.lastAcceptedId) {
        this.takeover.commit(); // its result arrived before the crash: only the commit was lost
        continue;
      }
      const n = (this.attempts.get(id) ?? 0) + 1;
      this.attempts.set(id, n);
      if (n === 1) retried++;
      lastInFlight = id;
    }
    this.takeover.sync();
    const deadLettered = this.deadLetterAtTail();
    if (lastInFlight > this.sequentialThroughId) this.sequentialThroughId = lastInFlight;
    this.crashStreak = lastInFlight === 0 ? this.crashStreak + 1 : 0;
    return { retried, deadLettered, hadEntries: lastInFlight !== 0 };
  }

  private deadLetterAtTail(): PipelineOutcome[] {
    const out: PipelineOutcome[] = [];
    for (let rec = this.takeover.peek(); rec !== undefined; rec = this.takeover.peek()) {
      const id = readEntryId(rec);
      const n = this.attempts.get(id) ?? 0;
      if (n < 2) break;
      const h = decodeEntryHeader(rec);
      this.takeover.read();
      this.takeover.commit();
      this.accept(id);
      out.push({
        kind: 'failed',
        reason: 'dead_letter',
        message: `entry ${id} crashed a worker ${n} times (${rec.byteLength - ENTRY_HEADER_BYTES} bytes)`,
        seq: h.seq,
        source: h.source,
      });
    }
    return out;
  }
}
