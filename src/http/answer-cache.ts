// The REST answer cache. Kills arrive a few per second while the same systems are read thousands
// of times per second, so a `/kills/system` answer is built once — the stored texts written into
// one body, nothing parsed or re-encoded — and served again until it can have changed:
//  - a kill of that system was stored, replaced, re-enriched or pruned (the reader's
//    systemVersion moved), or
//  - the window moved past the oldest kill in the answer (since_hours ageing), or the clock went
//    back before the window it was built for.
// The envelope's two `timestamp` values have fixed width (ISO-8601, 24 chars) and fixed offsets,
// so they are overwritten in place when the millisecond changes: the body is never re-encoded.
// uWS copies what it cannot send at once, so rewriting a buffer after res.end() is safe.
//
// Memory is bounded by maxBytes (least recently used entries are evicted first); an answer
// larger than an eighth of it is built and sent but not kept. Counters: http.answer_cache.hits,
// .misses, .evictions, and the gauges .bytes / .entries.
import type { KillReader } from '../core/ports.js';
import { MS_PER_HOUR } from '../core/clock.js';
import type { Counters } from '../telemetry/index.js';

/** One system's answer: the whole response body, and where its pieces sit in it. */
export interface CachedAnswer {
  /** `{"data":{"kills":[...],"timestamp":"…","cached":…},"timestamp":"…"}` */
  readonly body: Buffer;
  /** The kills array `[...]` inside body (bulk answers are assembled from these). */
  readonly arrayStart: number;
  readonly arrayEnd: number;
}

interface Entry extends CachedAnswer {
  key: number;
  version: number;
  /** The window start the answer was built for: valid while sinceMs <= window start <= oldestMs. */
  sinceMs: number;
  oldestMs: number;
  tsData: number;
  tsEnvelope: number;
  iso: string;
}

export interface AnswerCacheOptions {
  reader: KillReader;
  counters: Counters;
  /** Most bytes of bodies kept; 0 disables keeping (every answer is built). */
  maxBytes: number;
  nowMs?: () => number;
}

export interface AnswerCacheStats {
  entries: number;
  bytes: number;
  hits: number;
  misses: number;
  evictions: number;
}

const PREFIX = Buffer.from('{"data":{"kills":[');
const MID = '],"timestamp":"';
const ISO_CHARS = 24;
const COMMA = 0x2c;

export class AnswerCache {
  private readonly entries = new Map<number, Entry>();
  private bytes = 0;
  private readonly s = { hits: 0, misses: 0, evictions: 0 };
  private readonly nowMs: () => number;
  /** Byte lengths of the texts of the answer being built (reused). */
  private readonly lengths: number[] = [];

  constructor(private readonly o: AnswerCacheOptions) {
    this.nowMs = o.nowMs ?? Date.now;
  }

  /**
   * The current answer for (system, limit, since_hours) with `iso` in both timestamps. The
   * returned body stays valid until the next call (its timestamps are rewritten in place).
   */
  get(systemId: number, limit: number, sinceHours: number, cachedFlag: boolean, iso: string): CachedAnswer {
    // systemId < 2^26, limit < 2^11, hours < 2^8: the key is an exact integer below 2^53.
    const key = ((systemId * 2048 + limit) * 256 + sinceHours) * 2 + (cachedFlag ? 1 : 0);
    const since = this.nowMs() - sinceHours * MS_PER_HOUR;
    const version = this.o.reader.systemVersion(systemId);
    let e = this.entries.get(key);
    if (e !== undefined && e.version === version && e.sinceMs <= since && since <= e.oldestMs) {
      this.s.hits++;
      this.o.counters.inc('http.answer_cache.hits');
      // Most recently used last: Map keeps insertion order, so eviction takes from the front.
      this.entries.delete(key);
      this.entries.set(key, e);
    } else {
      this.s.misses++;
      this.o.counters.inc('http.answer_cache.misses');
      if (e !== undefined) this.remove(e);
      e = this.build(key, systemId, limit, since, version, cachedFlag, iso);
      this.keep(e);
    }
    if (e.iso !== iso) {
      e.body.write(iso, e.tsData, ISO_CHARS, 'latin1');
      e.body.write(iso, e.tsEnvelope, ISO_CHARS, 'latin1');
      e.iso = iso;
    }
    return e;
  }

  stats(): AnswerCacheStats {
    return { entries: this.entries.size, bytes: this.bytes, ...this.s };
  }

  clear(): void {
    this.entries.clear();
    this.bytes = 0;
    this.gauges();
  }

  private build(key: number, systemId: number, limit: number, since: number, version: number, cachedFlag: boolean, iso: string): Entry {
    const kills = this.o.reader.systemKillTexts({ systemId, sinceMs: since, limit });
    const head = MID;
    const tail = '","cached":' + String(cachedFlag) + '},"timestamp":"';
    const { texts } = kills;
    const lengths = this.lengths;
    let array = Math.max(0, texts.length - 1); // the commas
    for (let i = 0; i < texts.length; i++) array += lengths[i] = Buffer.byteLength(texts[i] as string, 'utf8');
    const n = PREFIX.length + array + head.length + ISO_CHARS + tail.length + ISO_CHARS + 2;
    const body = Buffer.allocUnsafe(n);
    let at = PREFIX.copy(body, 0);
    for (let i = 0; i < texts.length; i++) {
      if (i > 0) body[at++] = COMMA;
      const text = texts[i] as string;
      const len = lengths[i] as number;
      // All ASCII (byte length = length): latin1 is a plain copy, utf8 would transcode.
      at += body.write(text, at, len, len === text.length ? 'latin1' : 'utf8');
    }
    const arrayEnd = at + 1;
    at += body.write(head, at, 'latin1');
    const tsData = at;
    at += body.write(iso, at, ISO_CHARS, 'latin1');
    at += body.write(tail, at, 'latin1');
    const tsEnvelope = at;
    at += body.write(iso, at, ISO_CHARS, 'latin1');
    body.write('"}', at, 'latin1');
    return {
      key,
      version,
      body,
      arrayStart: PREFIX.length - 1,
      arrayEnd,
      sinceMs: since,
      oldestMs: kills.oldestKillTimeMs,
      tsData,
      tsEnvelope,
      iso,
    };
  }

  private keep(e: Entry): void {
    const size = e.body.length;
    if (size > this.o.maxBytes / 8) return this.gauges();
    this.entries.set(e.key, e);
    this.bytes += size;
    for (const old of this.entries.values()) {
      if (this.bytes <= this.o.maxBytes) break;
      this.remove(old);
      this.s.evictions++;
      this.o.counters.inc('http.answer_cache.evictions');
    }
    this.gauges();
  }

  private remove(e: Entry): void {
    if (this.entries.get(e.key) !== e) return;
    this.entries.delete(e.key);
    this.bytes -= e.body.length;
  }

  private gauges(): void {
    this.o.counters.set('http.answer_cache.bytes', this.bytes);
    this.o.counters.set('http.answer_cache.entries', this.entries.size);
  }
}
