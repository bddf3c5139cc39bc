// Worker -> main result records (docs/ARCHITECTURE.md#rings-and-records). A stored kill, nearly
// every record, has a fixed binary layout: its numbers at fixed offsets, then the character ids,
// the character_ids text and the canonical JSON as UTF-8. The worker writes it with one
// TextEncoder.encodeInto and a few DataView stores; the main thread reads it in place from the
// ring (no copy out of the SharedArrayBuffer) and makes the JSON string with one native UTF-8
// decode. Failures (rare, with an optional body) stay msgpackr records behind a tag byte.
//
// Why not msgpackr for kills too (bench/micro/pipeline/result-codec.bench.ts, 3 KB kills, Node
// 20.20): a kill's msgpackr record cost the worker ~4.6 µs and the main thread ~2.7 µs, which
// included a copy out of the shared buffer (msgpackr's native string extraction is ~20x slower
// on a SharedArrayBuffer view); this layout costs ~2.2 and ~1.3 µs.
//
// Kill layout (little-endian; a record may start at any byte, so reads go through a DataView):
//   0 u8 tag (KILL)  1 u8 flags  2 u8 source  3 u8 unused  4 u32 character count (n)
//   8 f64 entryId  16 f64 seq  24 f64 killmailId  32 f64 systemId  40 f64 killTimeMs
//   48 f64 victimCharacterId  56 f64 totalValue  64 f64 receivedAtUs
//   72 u32 text bytes  76 u32 JSON bytes  80 f64 × n character ids, then the text, then the JSON
import { Packr } from 'msgpackr';
import type { KillRecord } from '../core/killmail.js';
import type { FailReason, PipelineOutcome, SourceKind } from '../core/ports.js';
import { sourceCode, sourceKind, type EntryHeader } from './entry-header.js';
import type { Transcoder } from './transcode.js';

const FAIL_RESULT_KEYS = ['entryId', 'seq', 'source', 'reason', 'message'];

export interface KillResult {
  entryId: number;
  seq: number;
  source: number;
  older: boolean;
  kill: KillRecord;
}

export interface FailResult {
  entryId: number;
  seq: number;
  source: number;
  reason: FailReason;
  message: string;
  /** The entry, for failures worth another try (esi_fetch); written inline, off the shared structure. */
  body?: Uint8Array;
}

export type WireResult = KillResult | FailResult;

/** The numbers a kill record carries at fixed offsets: a KillRecord's, or the transcoder's. */
type KillNumbers = Pick<KillRecord, 'killmailId' | 'systemId' | 'killTimeMs' | 'victimCharacterId' | 'totalValue'>;

const KILL = 1;
const FAIL = 2;
const OLDER = 1,
  NPC = 2,
  REPLACE = 4,
  ENRICHED = 8;
const HEADER = 80;

export interface ResultCodec {
  /** The record's bytes: a view of a scratch buffer, valid until the next encode (copy it out first). */
  encode(r: WireResult): Uint8Array;
  /** A kill the transcoder read (with names when it had them), in the same layout, from its bytes: no string is built. */
  encodeTranscoded(h: EntryHeader, older: boolean, t: Transcoder): Uint8Array;
  /** Decode a record, read in place: `rec` may be a view of the ring's SharedArrayBuffer. */
  decode(rec: Uint8Array): WireResult;
}

/** Both sides build their codec here, so the failures' predefined msgpackr structure matches. */
export function createResultCodec(): ResultCodec {
  // maxSharedStructures equals the predefined count: an unexpected shape is written inline (still
  // decodable) and never appended to the shared list, which would make the two sides diverge.
  const packr = new Packr({ structures: [FAIL_RESULT_KEYS.slice()], useRecords: true, maxSharedStructures: 1 });
  const encoder = new TextEncoder();
  let scratch = new Uint8Array(64 * 1024);
  let scratchView = new DataView(scratch.buffer);
  // The decode side's views of the last buffer read (the ring's, or a wrapped record's copy).
  let lastBuffer: ArrayBufferLike | undefined;
  let view: DataView = new DataView(new ArrayBuffer(0));
  let bytes: Buffer = Buffer.alloc(0);
  // A failure's msgpackr bytes are copied out of the shared buffer first (see above).
  let unshared = new Uint8Array(4096);

  function reserve(n: number): void {
    if (scratch.byteLength >= n) return;
    scratch = new Uint8Array(Math.max(n, scratch.byteLength * 2));
    scratchView = new DataView(scratch.buffer);
  }

  /** A kill record's fixed part (the layout above) and its n character ids; both encoders write it. */
  function writeHead(
    flags: number,
    source: number,
    entryId: number,
    seq: number,
    receivedAtUs: number,
    k: KillNumbers,
    characterIds: ArrayLike<number>,
    n: number,
  ): void {
    const v = scratchView;
    scratch[0] = KILL;
    scratch[1] = flags;
    scratch[2] = source;
    v.setUint32(4, n, true);
    v.setFloat64(8, entryId, true);
    v.setFloat64(16, seq, true);
    v.setFloat64(24, k.killmailId, true);
    v.setFloat64(32, k.systemId, true);
    v.setFloat64(40, k.killTimeMs, true);
    v.setFloat64(48, k.victimCharacterId, true);
    v.setFloat64(56, k.totalValue, true);
    v.setFloat64(64, receivedAtUs, true);
    for (let i = 0; i < n; i++) v.setFloat64(HEADER + 8 * i, characterIds[i] as number, true);
  }

  function encodeKill(r: KillResult): Uint8Array {
    const k = r.kill;
    const text = k.characterText ?? k.characterIds.join(',');
    const n = k.characterIds.length;
    const idsEnd = HEADER + 8 * n;
    reserve(idsEnd + text.length + 3 * k.json.length); // UTF-8 needs at most 3 bytes per UTF-16 unit
    const flags = (r.older ? OLDER : 0) | (k.npc ? NPC : 0) | (k.replace ? REPLACE : 0) | (k.enriched ? ENRICHED : 0);
    writeHead(flags, r.source, r.entryId, r.seq, k.receivedAtUs, k, k.characterIds, n);
    const textBytes = encoder.encodeInto(text, scratch.subarray(idsEnd)).written;
    const jsonAt = idsEnd + textBytes;
    const jsonBytes = encoder.encodeInto(k.json, scratch.subarray(jsonAt)).written;
    scratchView.setUint32(72, textBytes, true);
    scratchView.setUint32(76, jsonBytes, true);
    return scratch.subarray(0, jsonAt + jsonBytes);
  }

  function encodeTranscoded(h: EntryHeader, older: boolean, t: Transcoder): Uint8Array {
    const n = t.characterCount;
    const idsEnd = HEADER + 8 * n;
    const jsonAt = idsEnd + t.text.n;
    const end = jsonAt + t.json.n;
    reserve(end);
    writeHead(
      (older ? OLDER : 0) | (t.npc ? NPC : 0) | (t.replace ? REPLACE : 0) | (t.enriched ? ENRICHED : 0),
      sourceCode(h.source),
      h.entryId,
      h.seq,
      h.receivedAtUs,
      t,
      t.characterIds,
      n,
    );
    scratch.set(t.text.a.subarray(0, t.text.n), idsEnd);
    scratch.set(t.json.a.subarray(0, t.json.n), jsonAt);
    scratchView.setUint32(72, t.text.n, true);
    scratchView.setUint32(76, t.json.n, true);
    return scratch.subarray(0, end);
  }

  function encodeFail(r: FailResult): Uint8Array {
    const packed = packr.pack(r);
    reserve(packed.byteLength + 1);
    scratch[0] = FAIL;
    scratch.set(packed, 1);
    return scratch.subarray(0, packed.byteLength + 1);
  }

  function decodeKill(rec: Uint8Array): KillResult {
    if (rec.buffer !== lastBuffer) {
      lastBuffer = rec.buffer;
      view = new DataView(rec.buffer);
      bytes = Buffer.from(rec.buffer);
    }
    const o = rec.byteOffset;
    const flags = rec[1] as number;
    const n = view.getUint32(o + 4, true);
    const characterIds = new Array<number>(n);
    for (let i = 0; i < n; i++) characterIds[i] = view.getFloat64(o + HEADER + 8 * i, true);
    const textAt = o + HEADER + 8 * n;
    const jsonAt = textAt + view.getUint32(o + 72, true);
    const jsonEnd = jsonAt + view.getUint32(o + 76, true);
    if (jsonEnd > o + rec.byteLength) throw new RangeError(`kill result of ${rec.byteLength} bytes is truncated (needs ${jsonEnd - o})`);
    return {
      entryId: view.getFloat64(o + 8, true),
      seq: view.getFloat64(o + 16, true),
      source: rec[2] as number,
      older: (flags & OLDER) !== 0,
      kill: {
        killmailId: view.getFloat64(o + 24, true),
        systemId: view.getFloat64(o + 32, true),
        killTimeMs: view.getFloat64(o + 40, true),
        characterIds,
        characterText: bytes.toString('latin1', textAt, jsonAt),
        victimCharacterId: view.getFloat64(o + 48, true),
        totalValue: view.getFloat64(o + 56, true),
        npc: (flags & NPC) !== 0,
        json: bytes.toString('utf8', jsonAt, jsonEnd),
        replace: (flags & REPLACE) !== 0,
        enriched: (flags & ENRICHED) !== 0,
        receivedAtUs: view.getFloat64(o + 64, true),
      },
    };
  }

  function decodeFail(rec: Uint8Array): FailResult {
    const body = rec.subarray(1);
    if (unshared.byteLength < body.byteLength) unshared = new Uint8Array(Math.max(body.byteLength, unshared.byteLength * 2));
    unshared.set(body);
    return packr.unpack(unshared.subarray(0, body.byteLength)) as FailResult;
  }

  return {
    encode: (r) => (isKillResult(r) ? encodeKill(r) : encodeFail(r)),
    encodeTranscoded,
    decode(rec) {
      const tag = rec[0];
      if (tag === KILL && rec.byteLength >= HEADER) return decodeKill(rec);
      if (tag === FAIL) return decodeFail(rec);
      throw new RangeError(`unknown result record (tag ${String(tag)}, ${rec.byteLength} bytes)`);
    },
  };
}

export function killResult(entryId: number, seq: number, source: SourceKind, older: boolean, kill: KillRecord): KillResult {
  return { entryId, seq, source: sourceCode(source), older, kill };
}

export function failResult(entryId: number, seq: number, source: SourceKind, reason: FailReason, message: string): FailResult {
  return { entryId, seq, source: sourceCode(source), reason, message };
}

export function isKillResult(r: WireResult): r is KillResult {
  return (r as KillResult).kill !== undefined;
}

export function toOutcome(r: WireResult): PipelineOutcome {
  const source = sourceKind(r.source);
  if (isKillResult(r)) return { kind: 'kill', kill: r.kill, older: r.older, seq: r.seq, source };
  const failed: PipelineOutcome = { kind: 'failed', reason: r.reason, message: r.message, seq: r.seq, source };
  // msgpackr hands binary back as a view of the decode buffer, which the next record reuses: copy.
  if (r.body !== undefined) failed.body = new Uint8Array(r.body);
  return failed;
}
