// The fixed header the main thread writes in front of each raw entry body in an ingest ring.
// Little-endian, read through a DataView because a record starts 4-byte (not 8-byte) aligned.
//
//   offset  type  field
//   0       f64   entryId       per-lane, strictly increasing from 1 (never wraps in practice: 2^53)
//   8       f64   seq           feed position for cursor acks (0 when none)
//   16      f64   receivedAtUs  epoch µs when the feed received the bytes
//   24      f64   cutoffMs      epoch ms; kills older are `older`; 0 disables
//   32      u32   source        SOURCE_CODES index
//   36      u32   reserved      keeps the body 8-byte aligned relative to the record start
//   40      ...   body          the entry bytes as received
import type { SourceKind } from '../core/ports.js';

export const ENTRY_HEADER_BYTES = 40;

export const SOURCE_KINDS: readonly SourceKind[] = ['r2z2', 'redisq', 'esi', 'backfill'];

export function sourceCode(source: SourceKind): number {
  const i = SOURCE_KINDS.indexOf(source);
  if (i < 0) throw new TypeError(`unknown source kind ${source}`);
  return i;
}

export function sourceKind(code: number): SourceKind {
  const s = SOURCE_KINDS[code];
  if (s === undefined) throw new TypeError(`unknown source code ${code}`);
  return s;
}

export interface EntryHeader {
  entryId: number;
  seq: number;
  receivedAtUs: number;
  cutoffMs: number;
  source: SourceKind;
}

/** Reusable header encoder for the single producer of a ring (no allocation per entry). */
export class EntryHeaderWriter {
  readonly bytes = new Uint8Array(ENTRY_HEADER_BYTES);
  private readonly view = new DataView(this.bytes.buffer);

  encode(h: EntryHeader): Uint8Array {
    this.view.setFloat64(0, h.entryId, true);
    this.view.setFloat64(8, h.seq, true);
    this.view.setFloat64(16, h.receivedAtUs, true);
    this.view.setFloat64(24, h.cutoffMs, true);
    this.view.setUint32(32, sourceCode(h.source), true);
    this.view.setUint32(36, 0, true);
    return this.bytes;
  }
}

export function readEntryId(record: Uint8Array): number {
  return new DataView(record.buffer, record.byteOffset, ENTRY_HEADER_BYTES).getFloat64(0, true);
}

export function decodeEntryHeader(record: Uint8Array): EntryHeader {
  if (record.byteLength < ENTRY_HEADER_BYTES) {
    throw new RangeError(`ingest record of ${record.byteLength} bytes is shorter than its header`);
  }
  const v = new DataView(record.buffer, record.byteOffset, ENTRY_HEADER_BYTES);
  return {
    entryId: v.getFloat64(0, true),
    seq: v.getFloat64(8, true),
    receivedAtUs: v.getFloat64(16, true),
    cutoffMs: v.getFloat64(24, true),
    source: sourceKind(v.getUint32(32, true)),
  };
}

export function entryBody(record: Uint8Array): Uint8Array {
  return record.subarray(ENTRY_HEADER_BYTES);
}
