// A validating JSON scanner over UTF-8 bytes, for the transcoder's fast path (transcode.ts). It
// builds no values: functions take a position and return the position after what they read,
// and report a scalar's kind and bytes in `token`. Anything it does not handle the way JSON.parse
// + JSON.stringify would — a backslash escape, a byte >= 0x80, a control character in a string,
// nesting past MAX_DEPTH, malformed JSON — throws BAIL, and the entry takes the general path
// (parse.ts + validate.ts), which gives the answer or the error. So the scanner only has to be
// exact for what it accepts.
//
// Written as loops over a local position rather than a cursor object's methods: on this
// machine's Node 20 that halved the cost of a scan (docs/PERFORMANCE.md, "The transcoder").

/** Thrown (pre-allocated, so no stack is captured) when the fast path gives the entry up. */
export const BAIL = new Error('transcode: entry left to the general path');

/** What a scalar was. The number kinds compare its bytes with the text JSON.stringify prints. */
export const ABSENT = 0,
  /** An integer of at most 15 digits, not "-0": its bytes are its text; `token.int` is its value. */
  INT = 1,
  /** A fraction of at most 15 significant digits in the form Number#toString prints: its bytes are its text. */
  FRACTION = 2,
  /** Any other number ("1e3", "5.0", 17 digits): its value must be converted (numberValue). */
  OTHER_NUMBER = 3,
  STRING = 4,
  TRUE = 5,
  FALSE = 6,
  NULL = 7;

export const QUOTE = 0x22,
  COMMA = 0x2c,
  COLON = 0x3a,
  LBRACE = 0x7b,
  RBRACE = 0x7d,
  LBRACKET = 0x5b,
  RBRACKET = 0x5d;
const BACKSLASH = 0x5c,
  MINUS = 0x2d,
  ZERO = 0x30,
  NINE = 0x39,
  MAX_DEPTH = 64;

/** The last scalar or key read: kind, integer value (INT), and its bytes (a string's without quotes). */
export const token = { kind: ABSENT, int: 0, start: 0, end: 0 };

/** The first position at or after p that is not JSON whitespace. */
export function ws(b: Uint8Array, p: number): number {
  let c = b[p] as number;
  // One compare for the usual case, compact JSON: no byte above 0x20 is whitespace.
  while (c <= 0x20 && (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09)) c = b[++p] as number;
  return p;
}

/** p on an opening quote: the index of the closing one. Printable ASCII without escapes, else BAIL. */
export function stringEnd(b: Uint8Array, p: number): number {
  const end = b.length;
  for (p++; p < end; p++) {
    const c = b[p] as number;
    if (c === QUOTE) return p;
    if (c < 0x20 || c >= 0x80 || c === BACKSLASH) throw BAIL;
  }
  throw BAIL;
}

/** p on an object key's quote: reads the key (token.start/end) and its colon; returns the value's position. */
export function key(b: Uint8Array, p: number): number {
  if (b[p] !== QUOTE) throw BAIL;
  const e = stringEnd(b, p);
  token.start = p + 1;
  token.end = e;
  p = ws(b, e + 1);
  if (b[p] !== COLON) throw BAIL;
  return ws(b, p + 1);
}

/** After a member: the next key's position after a comma (> 0), or -(position after the closer). */
export function next(b: Uint8Array, p: number, close: number): number {
  p = ws(b, p);
  const c = b[p];
  if (c === COMMA) return ws(b, p + 1);
  if (c === close) return -(p + 1);
  throw BAIL;
}

/** p on an opening bracket: the first member's position, or -(position after the closer) when empty. */
export function open(b: Uint8Array, p: number, opener: number, close: number): number {
  if (b[p] !== opener) throw BAIL;
  p = ws(b, p + 1);
  return b[p] === close ? -(p + 1) : p;
}

/** The key just read equals `k`. */
export function keyIs(b: Uint8Array, k: Uint8Array): boolean {
  const s = token.start;
  if (token.end - s !== k.length) return false;
  for (let i = 0; i < k.length; i++) if (b[s + i] !== k[i]) return false;
  return true;
}

/** A scalar at p (string, number, true, false, null) into `token`; a container gives up. */
export function scalar(b: Uint8Array, p: number): number {
  const c = b[p] as number;
  if (c === QUOTE) {
    const e = stringEnd(b, p);
    token.kind = STRING;
    token.start = p + 1;
    token.end = e;
    return e + 1;
  }
  if (c === MINUS || (c >= ZERO && c <= NINE)) return number(b, p);
  token.start = p;
  if (c === 0x74 && b[p + 1] === 0x72 && b[p + 2] === 0x75 && b[p + 3] === 0x65) {
    token.kind = TRUE;
    return p + 4;
  }
  if (c === 0x66 && b[p + 1] === 0x61 && b[p + 2] === 0x6c && b[p + 3] === 0x73 && b[p + 4] === 0x65) {
    token.kind = FALSE;
    return p + 5;
  }
  if (c === 0x6e && b[p + 1] === 0x75 && b[p + 2] === 0x6c && b[p + 3] === 0x6c) {
    token.kind = NULL;
    return p + 4;
  }
  throw BAIL;
}

/** A number literal at p (JSON grammar checked) into `token`; returns the position after it. */
function number(b: Uint8Array, p: number): number {
  const start = p;
  const negative = b[p] === MINUS;
  if (negative) p++;
  const intStart = p;
  let c = b[p] as number;
  if (!(c >= ZERO && c <= NINE)) throw BAIL;
  let value = 0;
  if (c === ZERO) c = b[++p] as number;
  else
    while (c >= ZERO && c <= NINE) {
      value = value * 10 + (c - ZERO);
      c = b[++p] as number;
    }
  const intDigits = p - intStart;
  let kind = intDigits <= 15 && !(negative && value === 0) ? INT : OTHER_NUMBER;
  if (c === 0x2e) {
    const fracStart = ++p;
    c = b[p] as number;
    while (c >= ZERO && c <= NINE) c = b[++p] as number;
    if (p === fracStart) throw BAIL;
    kind = canonicalFraction(b, intStart, intDigits, fracStart, p) ? FRACTION : OTHER_NUMBER;
  }
  if (c === 0x65 || c === 0x45) {
    c = b[++p] as number;
    if (c === 0x2b || c === MINUS) c = b[++p] as number;
    const expStart = p;
    while (c >= ZERO && c <= NINE) c = b[++p] as number;
    if (p === expStart) throw BAIL;
    kind = OTHER_NUMBER;
  }
  token.kind = kind;
  token.int = negative ? -value : value;
  token.start = start;
  token.end = p;
  return p;
}

/**
 * True when the fraction literal is exactly what Number#toString prints for its value: no
 * trailing zero, at most 15 significant digits (so the decimal round-trips through a double),
 * and for 0.x at most five zeros after the point (1e-7 and below print in exponent form).
 */
function canonicalFraction(b: Uint8Array, intStart: number, intDigits: number, fracStart: number, fracEnd: number): boolean {
  if (b[fracEnd - 1] === ZERO) return false;
  const intIsZero = intDigits === 1 && b[intStart] === ZERO;
  let significant = (intIsZero ? 0 : intDigits) + (fracEnd - fracStart);
  if (intIsZero) {
    let zeros = 0;
    while (b[fracStart + zeros] === ZERO) zeros++;
    if (zeros > 5) return false;
    significant -= zeros;
  }
  return significant <= 15;
}

// Buffer's native latin1 decoder, which reads any Uint8Array (a ring's SharedArrayBuffer view too).
const latin1 = (Buffer.prototype as unknown as { latin1Slice: (this: Uint8Array, start: number, end: number) => string }).latin1Slice;

/** A number literal's value, as JSON.parse reads it. */
export function numberValue(b: Uint8Array, start: number, end: number): number {
  return Number(latin1.call(b, start, end));
}

const stack = new Uint8Array(MAX_DEPTH);

/** Steps over any value at p, checking it is well-formed; returns the position after it. */
export function skip(b: Uint8Array, p: number): number {
  let depth = 0;
  for (;;) {
    // A value at p.
    const c = b[p];
    if (c === LBRACE || c === LBRACKET) {
      if (depth === MAX_DEPTH) throw BAIL;
      const close = c === LBRACE ? RBRACE : RBRACKET;
      stack[depth++] = close;
      p = ws(b, p + 1);
      if (b[p] !== close) {
        if (close === RBRACE) p = key(b, p);
        continue;
      }
      depth--;
      p++;
    } else p = scalar(b, p);
    // After a value: close containers until one continues or the outer value ends.
    for (;;) {
      if (depth === 0) return p;
      const close = stack[depth - 1] as number;
      p = ws(b, p);
      const d = b[p];
      if (d === COMMA) {
        p = ws(b, p + 1);
        if (close === RBRACE) p = key(b, p);
        break;
      }
      if (d !== close) throw BAIL;
      depth--;
      p++;
    }
  }
}

export const ascii = (s: string): Uint8Array => Uint8Array.from(s, (ch) => ch.charCodeAt(0));

/** A growable byte buffer, written at `n`. */
export class Bytes {
  a = new Uint8Array(16 * 1024);
  n = 0;

  ensure(extra: number): void {
    if (this.n + extra <= this.a.length) return;
    const bigger = new Uint8Array(Math.max(this.a.length * 2, this.n + extra));
    bigger.set(this.a.subarray(0, this.n));
    this.a = bigger;
  }

  put(src: Uint8Array): void {
    this.copy(src, 0, src.length);
  }

  copy(src: Uint8Array, start: number, end: number): void {
    const a = this.a;
    let n = this.n;
    for (let i = start; i < end; i++) a[n++] = src[i] as number;
    this.n = n;
  }

  /** src[start .. end) by one native copy: worth it for kilobytes (the attackers), not for a key. */
  span(src: Uint8Array, start: number, end: number): void {
    this.a.set(src.subarray(start, end), this.n);
    this.n += end - start;
  }

  /** A name fragment (tens of bytes, often none): one native copy, skipped when empty. */
  fragment(src: Uint8Array): void {
    if (src.length === 0) return;
    this.a.set(src, this.n);
    this.n += src.length;
  }

  byte(c: number): void {
    this.a[this.n++] = c;
  }

  ascii(s: string): void {
    this.ensure(s.length);
    for (let i = 0; i < s.length; i++) this.a[this.n++] = s.charCodeAt(i);
  }

  /** A non-negative safe integer's decimal digits. */
  int(v: number): void {
    let len = 1;
    for (let t = v; t >= 10; t = Math.floor(t / 10)) len++;
    this.ensure(len);
    const a = this.a;
    for (let i = this.n + len - 1; i >= this.n; i--) {
      a[i] = 0x30 + (v % 10);
      v = Math.floor(v / 10);
    }
    this.n += len;
  }
}
