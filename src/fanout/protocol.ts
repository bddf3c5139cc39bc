// Phoenix Channels wire protocol: the V1 object serializer and the V2
// array serializer, inbound text and V2 binary push frames, outbound replies and pushes.
//
// Outbound frames are built by splicing JSON text: a constant prefix per (serializer, topic,
// event), the payload text, a constant suffix. A killmail is never parsed or re-serialised here:
// its canonical JSON (BusKill.json / store rows) goes into the frame as it is.

export type Vsn = 1 | 2;

/** A join_ref or ref as the client sent it: Phoenix echoes refs unchanged, integers included. */
export type Ref = string | number | null;

/** One decoded client message. `payload` is parsed JSON, or a Buffer for a V2 binary push. */
export interface InMessage {
  joinRef: Ref;
  ref: Ref;
  topic: string;
  event: string;
  payload: unknown;
  /** 'array' (V2 text), 'object' (V1 text) or 'binary' (V2 binary push). */
  shape: 'array' | 'object' | 'binary';
}

export type BadFrameReason = 'invalid_json' | 'invalid_frame' | 'invalid_binary_frame' | 'binary_on_v1';

export type DecodeResult = { ok: true; msg: InMessage } | { ok: false; reason: BadFrameReason; detail: string; closeCode: number };

// RFC 6455: 1003 = data type the endpoint cannot accept, 1007 = data inconsistent with the type.
export const CLOSE_UNSUPPORTED_DATA = 1003;
export const CLOSE_INVALID_PAYLOAD = 1007;

const BINARY_PUSH = 0;
const BINARY_HEADER_BYTES = 5; // kind + four u8 sizes
const utf8 = new TextDecoder('utf-8', { fatal: true });

function bad(reason: BadFrameReason, detail: string, closeCode = CLOSE_INVALID_PAYLOAD): DecodeResult {
  return { ok: false, reason, detail, closeCode };
}

/** Refs are strings in the JS client, integers in Elixir's: both are kept as sent, to be echoed. */
function refOf(v: unknown): Ref | undefined {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  return undefined;
}

function fromParts(
  joinRef: unknown,
  ref: unknown,
  topic: unknown,
  event: unknown,
  payload: unknown,
  shape: InMessage['shape'],
): DecodeResult {
  const j = refOf(joinRef);
  const r = refOf(ref);
  if (j === undefined) return bad('invalid_frame', 'join_ref must be a string or null');
  if (r === undefined) return bad('invalid_frame', 'ref must be a string or null');
  if (typeof topic !== 'string' || topic.length === 0) return bad('invalid_frame', 'topic must be a non-empty string');
  if (typeof event !== 'string' || event.length === 0) return bad('invalid_frame', 'event must be a non-empty string');
  return { ok: true, msg: { joinRef: j, ref: r, topic, event, payload, shape } };
}

/**
 * Decode one text frame. Both shapes are accepted on either serializer: some Python clients
 * send V1 objects while asking for vsn=2.0.0.
 */
export function decodeText(text: string): DecodeResult {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    return bad('invalid_json', (err as Error).message);
  }
  if (Array.isArray(v)) {
    if (v.length !== 5)
      return bad('invalid_frame', `array frame must have 5 elements [join_ref, ref, topic, event, payload], got ${v.length}`);
    return fromParts(v[0], v[1], v[2], v[3], v[4], 'array');
  }
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    return fromParts(o['join_ref'], o['ref'], o['topic'], o['event'], o['payload'], 'object');
  }
  return bad('invalid_frame', 'frame must be a JSON array (vsn 2.0.0) or object (vsn 1.0.0)');
}

/** Decode a V2 binary push `<<0, join_ref_size, ref_size, topic_size, event_size, ...fields, data>>`. */
export function decodeBinary(bytes: Uint8Array, vsn: Vsn): DecodeResult {
  if (vsn !== 2) return bad('binary_on_v1', 'binary frames need vsn=2.0.0', CLOSE_UNSUPPORTED_DATA);
  if (bytes.length < BINARY_HEADER_BYTES)
    return bad('invalid_binary_frame', `frame of ${bytes.length} bytes is shorter than the 5-byte header`);
  const kind = bytes[0];
  if (kind !== BINARY_PUSH) return bad('invalid_binary_frame', `kind ${String(kind)} is not a push (0)`);
  const sizes = [bytes[1] ?? 0, bytes[2] ?? 0, bytes[3] ?? 0, bytes[4] ?? 0];
  const headerEnd = BINARY_HEADER_BYTES + sizes.reduce((a, b) => a + b, 0);
  if (headerEnd > bytes.length) {
    return bad(
      'invalid_binary_frame',
      `field sizes ${sizes.join('+')} exceed the ${bytes.length - BINARY_HEADER_BYTES} bytes after the header`,
    );
  }
  const fields: string[] = [];
  let offset = BINARY_HEADER_BYTES;
  for (const size of sizes) {
    try {
      fields.push(utf8.decode(bytes.subarray(offset, offset + size)));
    } catch {
      return bad('invalid_binary_frame', `field at byte ${offset} is not valid UTF-8`);
    }
    offset += size;
  }
  // The JS client encodes a null join_ref as the text "null" (TextEncoder stringifies it).
  const joinRef = fields[0] === '' || fields[0] === 'null' ? null : fields[0];
  const ref = fields[1] === '' ? null : fields[1];
  // Copy: uWS neuters the message buffer when the handler returns.
  return fromParts(joinRef, ref, fields[2], fields[3], Buffer.from(bytes.subarray(headerEnd)), 'binary');
}

function quote(v: Ref): string {
  return v === null ? 'null' : typeof v === 'number' ? String(v) : JSON.stringify(v);
}

/** A message with its payload given as JSON text. */
export function encodeMessage(vsn: Vsn, joinRef: Ref, ref: Ref, topic: string, event: string, payloadJson: string): string {
  if (vsn === 2) return `[${quote(joinRef)},${quote(ref)},${JSON.stringify(topic)},${JSON.stringify(event)},${payloadJson}]`;
  return `{"topic":${JSON.stringify(topic)},"event":${JSON.stringify(event)},"payload":${payloadJson},"ref":${quote(ref)},"join_ref":${quote(joinRef)}}`;
}

export type ReplyStatus = 'ok' | 'error';

export function encodeReply(vsn: Vsn, joinRef: Ref, ref: Ref, topic: string, status: ReplyStatus, response: unknown): string {
  return encodeMessage(vsn, joinRef, ref, topic, 'phx_reply', `{"status":"${status}","response":${JSON.stringify(response)}}`);
}

interface Splice {
  prefix: string;
  suffix: string;
}

const spliceCache = new Map<string, Splice>();

/**
 * The constant text around a broadcast payload on (vsn, topic, event), computed once:
 * V2 `[null,null,"killmails:lobby","killmail_update",` … `]`.
 */
export function broadcastSplice(vsn: Vsn, topic: string, event: string): Splice {
  const key = `${vsn}\u0000${topic}\u0000${event}`;
  let s = spliceCache.get(key);
  if (s === undefined) {
    const marker = '\u0000PAYLOAD\u0000';
    const whole = encodeMessage(vsn, null, null, topic, event, marker);
    const at = whole.indexOf(marker);
    s = { prefix: whole.slice(0, at), suffix: whole.slice(at + marker.length) };
    spliceCache.set(key, s);
  }
  return s;
}

export function broadcastFrame(vsn: Vsn, topic: string, event: string, payloadJson: string): string {
  const s = broadcastSplice(vsn, topic, event);
  return s.prefix + payloadJson + s.suffix;
}

/** `killmail_update` payload text around already-serialised canonical killmails. */
export function killmailUpdatePayload(systemId: number, killJsons: readonly string[], timestampIso: string, preload: boolean): string {
  return `{"system_id":${systemId},"killmails":[${killJsons.join(',')}],"timestamp":"${timestampIso}","preload":${preload}}`;
}
