// A batch as it crosses to the writer thread: its numbers and its text bytes in one
// SharedArrayBuffer that the main thread's writer reuses batch after batch (one batch is in flight
// at a time), so no kill's JSON becomes a string on the writer thread: SQLite copies the bytes
// straight from the shared buffer into its page (`CAST(? AS TEXT)` in writer.ts), and decoding a
// batch is under 1 % of the thread's profile. Against structured-cloning the records, no CPU
// difference showed through the VM's noise (docs/PERFORMANCE.md, "The writer thread").
//
// Layout: `count` rows of 8 float64 (killmail id, system id, kill time, total value, victim
// character id, flags, text bytes, JSON bytes), then each kill's character_ids text (Latin-1: digits
// and commas) and canonical JSON (UTF-8) in order. A kill the main thread finds invalid carries
// the reason in place of its character_ids text, for the dead letter the thread writes.
import type { KillRecord } from '../core/killmail.js';
import { joinIds } from './character-index.js';

/** What the writer writes: a KillRecord, or one decoded on the writer thread with its JSON as bytes. */
export interface WritableKill extends Omit<KillRecord, 'json'> {
  json: string | Uint8Array;
  /** Set by the main thread, which checked the record before encoding it (invalidReason). */
  invalid?: string;
}

export interface EncodedBatch {
  buffer: SharedArrayBuffer;
  count: number;
}

const FIELDS = 8;
const NPC = 1,
  REPLACE = 2,
  ENRICHED = 4,
  INVALID = 8;
const NO_IDS: readonly number[] = Object.freeze([]);

export interface BatchEncoder {
  encode(records: readonly KillRecord[], invalidReason: (r: KillRecord) => string | null): EncodedBatch;
}

export function createBatchEncoder(initialBytes = 8 * 1024 * 1024): BatchEncoder {
  let buffer = new SharedArrayBuffer(initialBytes);
  let bytes = Buffer.from(buffer);
  let nums = new Float64Array(buffer);

  /** A larger buffer holding what is written so far (the thread is not reading: no batch is in flight). */
  function grow(used: number, needed: number): void {
    const next = new SharedArrayBuffer(Math.max(needed, buffer.byteLength * 2));
    const nextBytes = Buffer.from(next);
    nextBytes.set(bytes.subarray(0, used));
    buffer = next;
    bytes = nextBytes;
    nums = new Float64Array(next);
  }

  return {
    encode(records, invalidReason) {
      const count = records.length;
      let at = count * FIELDS * 8;
      if (at > buffer.byteLength) grow(0, at * 2);
      for (let i = 0; i < count; i++) {
        const r = records[i] as KillRecord;
        const bad = invalidReason(r);
        const json = typeof r.json === 'string' ? r.json : '';
        const text = bad ?? r.characterText ?? joinIds(r.characterIds);
        const worst = at + text.length + 3 * json.length;
        if (worst > buffer.byteLength) grow(at, worst * 2);
        const textBytes = bytes.write(text, at, 'latin1');
        const jsonBytes = bytes.write(json, at + textBytes, 'utf8');
        at += textBytes + jsonBytes;
        const o = i * FIELDS;
        nums[o] = r.killmailId;
        nums[o + 1] = r.systemId;
        nums[o + 2] = r.killTimeMs;
        nums[o + 3] = r.totalValue;
        nums[o + 4] = r.victimCharacterId;
        nums[o + 5] = (r.npc ? NPC : 0) | (r.replace ? REPLACE : 0) | (r.enriched ? ENRICHED : 0) | (bad !== null ? INVALID : 0);
        nums[o + 6] = textBytes;
        nums[o + 7] = jsonBytes;
      }
      return { buffer, count };
    },
  };
}

/** The batch's kills on the writer thread: their JSON as views of the shared buffer, valid until the answer. */
export function decodeBatch(b: EncodedBatch): WritableKill[] {
  const nums = new Float64Array(b.buffer, 0, b.count * FIELDS);
  const bytes = Buffer.from(b.buffer);
  const out = new Array<WritableKill>(b.count);
  let at = b.count * FIELDS * 8;
  for (let i = 0; i < b.count; i++) {
    const o = i * FIELDS;
    const flags = nums[o + 5] as number;
    const textEnd = at + (nums[o + 6] as number);
    const jsonEnd = textEnd + (nums[o + 7] as number);
    const text = bytes.toString('latin1', at, textEnd);
    const k: WritableKill = {
      killmailId: nums[o] as number,
      systemId: nums[o + 1] as number,
      killTimeMs: nums[o + 2] as number,
      totalValue: nums[o + 3] as number,
      victimCharacterId: nums[o + 4] as number,
      npc: (flags & NPC) !== 0,
      replace: (flags & REPLACE) !== 0,
      enriched: (flags & ENRICHED) !== 0,
      characterIds: NO_IDS as number[],
      characterText: text,
      json: bytes.subarray(textEnd, jsonEnd),
      receivedAtUs: 0,
    };
    if ((flags & INVALID) !== 0) k.invalid = text;
    out[i] = k;
    at = jsonEnd;
  }
  return out;
}
