// The transcoder's scalar slots (transcode.ts): one per key it reads, holding what the scanner
// found there — the kind, where its bytes are, and an integer's value. The readers below each
// follow a rule of validate.ts and give up (BAIL) wherever that rule would reject, so the general
// path reports the error; the writers give JSON.stringify's text for what they accept.
import * as scanner from './json-bytes.js';
import type { Bytes } from './json-bytes.js';

// Bound once: see transcode.ts on why imported bindings are not read on the hot path.
const { ABSENT, ascii, BAIL, FALSE, FRACTION, INT, NULL, OTHER_NUMBER, STRING, TRUE, numberValue, scalar, token } = scanner;
const TRUE_TEXT = ascii('true');
const FALSE_TEXT = ascii('false');

export class Slots {
  /** The entry being read. */
  b: Uint8Array = new Uint8Array(0);
  readonly kind: Uint8Array;
  readonly start: Int32Array;
  readonly end: Int32Array;
  readonly int: Float64Array;

  constructor(count: number) {
    this.kind = new Uint8Array(count);
    this.start = new Int32Array(count);
    this.end = new Int32Array(count);
    this.int = new Float64Array(count);
  }

  reset(b: Uint8Array): void {
    this.b = b;
    this.kind.fill(ABSENT);
  }

  /** A scalar at p into `slot`; a container, or a key seen twice, gives up. Returns the position after it. */
  store(slot: number, p: number): number {
    p = scalar(this.b, p);
    if (this.kind[slot] !== ABSENT) throw BAIL;
    this.kind[slot] = token.kind;
    this.start[slot] = token.start;
    this.end[slot] = token.end;
    this.int[slot] = token.int;
    return p;
  }

  length(slot: number): number {
    return (this.end[slot] as number) - (this.start[slot] as number);
  }

  copySlot(from: number, to: number): void {
    if (this.kind[to] !== ABSENT) throw BAIL;
    this.kind[to] = this.kind[from] as number;
    this.start[to] = this.start[from] as number;
    this.end[to] = this.end[from] as number;
    this.int[to] = this.int[from] as number;
  }

  /** `slot` when it holds a string, `none` when absent or null; anything else gives up. */
  stringSlot(slot: number, none: number): number {
    const k = this.kind[slot];
    if (k === STRING) return slot;
    if (k === ABSENT || k === NULL) return none;
    throw BAIL;
  }

  /** A number's value as JSON.parse reads it; 0 when absent or null (validate.ts num). */
  numberOf(slot: number): number {
    const k = this.kind[slot];
    if (k === INT) return this.int[slot] as number;
    if (k === ABSENT || k === NULL) return 0;
    if (k !== FRACTION && k !== OTHER_NUMBER) throw BAIL;
    const v = numberValue(this.b, this.start[slot] as number, this.end[slot] as number);
    if (!Number.isFinite(v)) throw BAIL;
    return v;
  }

  /** validate.ts optionalId: an integer, kept when > 0; 0 when absent, null or <= 0. */
  id(slot: number): number {
    const k = this.kind[slot];
    if (k === ABSENT || k === NULL) return 0;
    const v = k === INT ? (this.int[slot] as number) : this.numberOf(slot);
    if (!Number.isSafeInteger(v)) throw BAIL;
    return v > 0 ? v : 0;
  }

  /** Writes `name` and the id when it is kept; false when it is not. */
  optionalId(slot: number, name: Uint8Array, out: Bytes): boolean {
    if (this.id(slot) === 0) return false;
    out.put(name);
    this.numberText(slot, out);
    return true;
  }

  /** validate.ts requiredInt: a safe integer >= min. */
  requiredInt(slot: number, min: number): number {
    const k = this.kind[slot];
    if (k !== INT && k !== OTHER_NUMBER && k !== FRACTION) throw BAIL;
    const v = this.numberOf(slot);
    if (!Number.isSafeInteger(v) || v < min) throw BAIL;
    return v;
  }

  positiveInt(slot: number): number {
    return this.requiredInt(slot, 1);
  }

  /** validate.ts num: a finite number, 0 when absent or null. */
  num(slot: number, out: Bytes): void {
    const k = this.kind[slot];
    if (k === ABSENT || k === NULL) out.byte(0x30);
    else this.numberText(slot, out);
  }

  bool(slot: number, out: Bytes): void {
    const k = this.kind[slot];
    if (k === TRUE) out.put(TRUE_TEXT);
    else if (k === FALSE || k === ABSENT || k === NULL) out.put(FALSE_TEXT);
    else throw BAIL;
  }

  /** JSON.stringify's text of a number: the literal's bytes when they are it, else converted. */
  numberText(slot: number, out: Bytes): void {
    const k = this.kind[slot];
    if (k === INT || k === FRACTION) out.copy(this.b, this.start[slot] as number, this.end[slot] as number);
    else out.ascii(String(this.numberOf(slot)));
  }

  /** killmail_time: only "YYYY-MM-DDTHH:MM:SSZ" with in-range fields, which isoZ() prints unchanged. */
  time(slot: number): number {
    if (this.kind[slot] !== STRING || this.length(slot) !== 20) throw BAIL;
    const b = this.b;
    const t = this.start[slot] as number;
    if (b[t + 4] !== 0x2d || b[t + 7] !== 0x2d || b[t + 10] !== 0x54 || b[t + 13] !== 0x3a || b[t + 16] !== 0x3a || b[t + 19] !== 0x5a)
      throw BAIL;
    const year = digits(b, t, 4);
    const month = digits(b, t + 5, 2);
    const day = digits(b, t + 8, 2);
    const hour = digits(b, t + 11, 2);
    const minute = digits(b, t + 14, 2);
    const second = digits(b, t + 17, 2);
    if (year < 1000 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59)
      throw BAIL;
    return Date.UTC(year, month - 1, day, hour, minute, second);
  }
}

function digits(b: Uint8Array, at: number, count: number): number {
  let v = 0;
  for (let i = 0; i < count; i++) {
    const d = (b[at + i] as number) - 0x30;
    if (d < 0 || d > 9) throw BAIL;
    v = v * 10 + d;
  }
  return v;
}

function daysIn(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}
