// Parameter and body validation driven by the same value specs the OpenAPI document is built
// from (router.ts RouteSpec), so what is documented is what is enforced. Pure functions: no
// uWS types here, unit-tested in test/unit/http/validate.test.ts.

/** What one parameter or body field may hold. `integer_list` is comma-separated in a query
 * string and a JSON array in a body. */
export type ValueSpec =
  | { type: 'integer'; min: number; max: number; default?: number }
  | { type: 'integer_list'; min: number; max: number; minItems: number; maxItems: number }
  | { type: 'string'; maxLength: number; pattern?: RegExp; enum?: readonly string[]; default?: string }
  | { type: 'boolean'; default?: boolean };

export type FieldValue = number | string | boolean | readonly number[];

/** A named field that failed: becomes 400 with `details: {field, value, reason}`. */
export interface FieldError {
  field: string;
  /** The offending input, as received (strings truncated), or null when the field is missing. */
  value: unknown;
  reason: string;
}

export type Checked = { ok: true; value: FieldValue | undefined } | { ok: false; reason: string };

// Canonical positive decimal: no sign, no leading zero, no exponent, at most 16 digits (2^53 has
// 16), so Number() below is exact and "9007199254740993" is caught by isSafeInteger.
const POSITIVE_INT = /^[1-9][0-9]{0,15}$/;
const MAX_ECHO_CHARS = 64;

export function describeValue(spec: ValueSpec): string {
  switch (spec.type) {
    case 'integer':
      return `an integer in ${spec.min}..${spec.max}`;
    case 'integer_list':
      return `${spec.minItems}..${spec.maxItems} integers, each in ${spec.min}..${spec.max}`;
    case 'string':
      return spec.enum ? `one of ${spec.enum.join(', ')}` : `a string of at most ${spec.maxLength} characters`;
    case 'boolean':
      return 'true or false';
  }
}

/** Parse an integer written as text (path segment, query value, numeric body string). */
export function parseIntText(text: string, min: number, max: number): number | undefined {
  if (text === '0' && min <= 0) return 0;
  if (!POSITIVE_INT.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) && n >= min && n <= max ? n : undefined;
}

function checkIntNumber(v: number, min: number, max: number): boolean {
  return Number.isSafeInteger(v) && v >= min && v <= max;
}

/** Check a value that arrived as text (path or query). `undefined` means absent. */
export function checkText(spec: ValueSpec, text: string | undefined): Checked {
  if (text === undefined) return { ok: true, value: 'default' in spec ? spec.default : undefined };
  switch (spec.type) {
    case 'integer': {
      const n = parseIntText(text, spec.min, spec.max);
      return n === undefined ? { ok: false, reason: `expected ${describeValue(spec)}` } : { ok: true, value: n };
    }
    case 'integer_list': {
      const parts = text === '' ? [] : text.split(',');
      const out: number[] = [];
      for (const p of parts) {
        const n = parseIntText(p.trim(), spec.min, spec.max);
        if (n === undefined) return { ok: false, reason: `expected ${describeValue(spec)}` };
        out.push(n);
      }
      return checkCount(spec, out);
    }
    case 'string':
      return checkString(spec, text);
    case 'boolean':
      if (text === 'true' || text === '1') return { ok: true, value: true };
      if (text === 'false' || text === '0') return { ok: true, value: false };
      return { ok: false, reason: 'expected true or false' };
  }
}

/** Check a value from a parsed JSON body. Integers may also come as canonical numeric strings
 * (the original accepted `"since_hours": "24"`); list items must be JSON integers. */
export function checkJson(spec: ValueSpec, value: unknown): Checked {
  if (value === undefined || value === null) return { ok: true, value: 'default' in spec ? spec.default : undefined };
  switch (spec.type) {
    case 'integer':
      if (typeof value === 'number') {
        return checkIntNumber(value, spec.min, spec.max) ? { ok: true, value } : { ok: false, reason: `expected ${describeValue(spec)}` };
      }
      return typeof value === 'string' ? checkText(spec, value) : { ok: false, reason: `expected ${describeValue(spec)}` };
    case 'integer_list': {
      if (!Array.isArray(value)) return { ok: false, reason: `expected an array of ${describeValue(spec)}` };
      for (const item of value) {
        if (typeof item !== 'number' || !checkIntNumber(item, spec.min, spec.max)) {
          return { ok: false, reason: `expected ${describeValue(spec)}; got ${String(echo(item))}` };
        }
      }
      return checkCount(spec, value as number[]);
    }
    case 'string':
      return typeof value === 'string' ? checkString(spec, value) : { ok: false, reason: `expected ${describeValue(spec)}` };
    case 'boolean':
      return typeof value === 'boolean' ? { ok: true, value } : { ok: false, reason: 'expected true or false' };
  }
}

function checkCount(spec: { minItems: number; maxItems: number }, list: readonly number[]): Checked {
  if (list.length < spec.minItems) return { ok: false, reason: `expected at least ${spec.minItems} item(s), got ${list.length}` };
  if (list.length > spec.maxItems) return { ok: false, reason: `expected at most ${spec.maxItems} items, got ${list.length}` };
  return { ok: true, value: list };
}

function checkString(spec: Extract<ValueSpec, { type: 'string' }>, text: string): Checked {
  if (text.length > spec.maxLength) return { ok: false, reason: `longer than ${spec.maxLength} characters` };
  if (spec.enum && !spec.enum.includes(text)) return { ok: false, reason: `expected ${describeValue(spec)}` };
  if (spec.pattern && !spec.pattern.test(text)) return { ok: false, reason: `does not match ${spec.pattern.source}` };
  return { ok: true, value: text };
}

/** The offending value as it goes into `details.value`: short, JSON-safe. */
export function echo(value: unknown): unknown {
  if (typeof value === 'string') return value.length > MAX_ECHO_CHARS ? value.slice(0, MAX_ECHO_CHARS) + '…' : value;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return value;
  if (Array.isArray(value)) return `array(${value.length})`;
  return typeof value;
}
