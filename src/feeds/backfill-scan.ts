// Splits a stream of JSON bytes into one entry per kill without parsing the kills: a byte scanner
// that only tracks strings and bracket depth, so a history file of any size is read in bounded
// memory (at most one entry plus one chunk) and the main thread never builds killmail objects.
// Layouts, told apart by the first bytes:
//   docs   {...}\n{...}       one JSON document per kill (JSON lines, or documents back to back)
//   array  [{...},{...}]      a JSON array of kills
//   keyed  {"123":{...},...}  zKillboard's day files keyed by killmail id: raw ESI mails, or
//                             `{"123":"hash"}` (the value is then the hash string, quotes included)
import { WkError } from '../core/errors.js';

export type Layout = 'docs' | 'array' | 'keyed';

export interface ScannedItem {
  /** The entry's bytes (a view into the chunk when it fits in one). */
  body: Uint8Array;
  /** 1-based line where the entry starts. */
  line: number;
  /** keyed layout: the key (a killmail id as text). */
  key?: string;
  /** The entry exceeded maxItemBytes: its bytes were dropped, `body` is empty. */
  tooLarge?: boolean;
}

const QUOTE = 0x22,
  BACKSLASH = 0x5c,
  NL = 0x0a,
  COLON = 0x3a,
  COMMA = 0x2c;
const OPEN_OBJ = 0x7b,
  CLOSE_OBJ = 0x7d,
  OPEN_ARR = 0x5b,
  CLOSE_ARR = 0x5d;
const SNIFF_BYTES = 64;
/** Byte classes for the hot loop outside strings (0: nothing to do). */
const K_QUOTE = 1,
  K_OPEN = 2,
  K_CLOSE = 3,
  K_NL = 4;
const CLASS = new Uint8Array(256);
CLASS[QUOTE] = K_QUOTE;
CLASS[OPEN_OBJ] = CLASS[OPEN_ARR] = K_OPEN;
CLASS[CLOSE_OBJ] = CLASS[CLOSE_ARR] = K_CLOSE;
CLASS[NL] = K_NL;

function isSpace(c: number): boolean {
  return c === 0x20 || c === NL || c === 0x0d || c === 0x09;
}

/** A file that is not one of the layouts, or ends mid-entry; the message names the line. */
export function formatError(message: string): WkError {
  return new WkError('ERR_PARSE_SHAPE', message);
}

export class JsonItemScanner {
  private layout: Layout | undefined;
  private sniff: Buffer[] = [];
  private sniffBytes = 0;
  private itemDepth = 0;
  /** Outer container depth: 1 inside the array or keyed object, 0 between documents. */
  private depth = 0;
  /** Bracket nesting inside the open object entry (0: none open). */
  private nest = 0;
  private inStr = false;
  private esc = false;
  private line = 1;
  /** Bytes of the open entry from earlier chunks; `start` is its offset in the current one. */
  private parts: Buffer[] = [];
  private partBytes = 0;
  private start = -1;
  private startLine = 0;
  private discarding = false;
  /** keyed: the next string at item depth is a key; its text when read. */
  private expectKey = true;
  private keyStart = -1;
  private keyParts = '';
  private key: string | undefined;
  private closed = false;

  constructor(private readonly maxItemBytes: number) {}

  get detected(): Layout | undefined {
    return this.layout;
  }

  /** The entries completed by this chunk, in order. */
  *push(chunk: Buffer): Generator<ScannedItem> {
    if (this.layout === undefined) {
      this.sniff.push(chunk);
      this.sniffBytes += chunk.length;
      if (this.sniffBytes < SNIFF_BYTES) return;
      chunk = this.detect();
    }
    yield* this.scan(chunk);
  }

  /** End of input: the entries still held, or an error when the input stopped mid-entry. */
  *end(): Generator<ScannedItem> {
    if (this.layout === undefined) {
      if (this.sniffBytes === 0 || Buffer.concat(this.sniff).every(isSpace)) return;
      yield* this.scan(this.detect());
    }
    if (this.start >= 0 || this.inStr || this.discarding || this.nest > 0) {
      throw formatError(`input ends inside the entry starting at line ${this.startLine} (truncated file?)`);
    }
    if (this.layout !== 'docs' && !this.closed) {
      throw formatError(`input ends at line ${this.line} before the closing ${this.layout === 'array' ? ']' : '}'} (truncated file?)`);
    }
  }

  private detect(): Buffer {
    const all = Buffer.concat(this.sniff);
    this.sniff = [];
    const head = all.subarray(0, SNIFF_BYTES * 4).toString('latin1');
    if (/^\s*\[/.test(head)) this.layout = 'array';
    else if (/^\s*\{\s*"\d+"\s*:/.test(head) || /^\s*\{\s*"\d*$/.test(head)) this.layout = 'keyed';
    else if (/^\s*\{/.test(head)) this.layout = 'docs';
    else throw formatError('line 1: not JSON killmails (expected one document per line, an array, or an object keyed by killmail id)');
    this.itemDepth = this.layout === 'docs' ? 0 : 1;
    return all;
  }

  private *scan(buf: Buffer): Generator<ScannedItem> {
    const n = buf.length;
    let i = 0;
    if (this.nest > 0) {
      // An object entry continues from the last chunk.
      i = this.inItem(buf, 0);
      if (i < 0) {
        this.carry(buf);
        return;
      }
      yield this.finish(buf, i);
    }
    while (i < n) {
      const c = buf[i] as number;
      if (this.inStr) {
        i = this.skipString(buf, i);
        if (!this.inStr) {
          const item = this.afterString(buf, i);
          if (item) yield item;
        }
        continue;
      }
      if ((c === OPEN_OBJ || c === OPEN_ARR) && this.depth === this.itemDepth && this.start < 0) {
        if (this.layout === 'keyed' && this.expectKey) throw formatError(`line ${this.line}: expected a "killmail id" key`);
        this.begin(i);
        this.nest = 1;
        const end = this.inItem(buf, i + 1);
        if (end < 0) {
          this.carry(buf);
          return;
        }
        yield this.finish(buf, end);
        i = end;
        continue;
      }
      if (c === QUOTE) this.openString(i);
      else if (c === OPEN_OBJ || c === OPEN_ARR) this.openContainer();
      else if (c === CLOSE_OBJ || c === CLOSE_ARR) this.closeContainer(c);
      else if (c === NL) this.line++;
      else if (c === COLON && this.depth === this.itemDepth) this.expectKey = false;
      else if (c !== COMMA && !isSpace(c) && this.start < 0) {
        throw formatError(`line ${this.line}: unexpected "${String.fromCharCode(c)}" between entries`);
      }
      i++;
    }
    this.carry(buf);
  }

  /**
   * The hot loop: inside an object entry only strings and bracket nesting matter. Two tight inner
   * loops (string bytes up to a quote or backslash; other bytes up to a class-table hit) on locals
   * keep the per-byte work to one load and one compare. Returns the index after the entry's
   * closing bracket, or -1 when the chunk ends first (the state is kept for the next chunk).
   */
  private inItem(buf: Buffer, from: number): number {
    let nest = this.nest;
    let inStr = this.inStr;
    let esc = this.esc;
    let lines = 0;
    const n = buf.length;
    let i = from;
    while (i < n) {
      if (inStr) {
        if (esc) {
          esc = false;
          i++;
          continue;
        }
        let c = 0;
        while (i < n) {
          c = buf[i] as number;
          if (c === QUOTE || c === BACKSLASH) break;
          i++;
        }
        if (i >= n) break;
        i++;
        if (c === BACKSLASH) esc = true;
        else inStr = false;
        continue;
      }
      let k = 0;
      while (i < n) {
        k = CLASS[buf[i] as number] as number;
        if (k !== 0) break;
        i++;
      }
      if (i >= n) break;
      i++;
      if (k === K_QUOTE) inStr = true;
      else if (k === K_OPEN) nest++;
      else if (k === K_CLOSE) {
        if (--nest === 0) {
          this.nest = 0;
          this.inStr = false;
          this.esc = false;
          this.line += lines;
          return i;
        }
      } else lines++;
    }
    this.nest = nest;
    this.inStr = inStr;
    this.esc = esc;
    this.line += lines;
    return -1;
  }

  /** Index after the closing quote (inStr cleared), or n when the string goes on. */
  private skipString(buf: Buffer, i: number): number {
    const n = buf.length;
    while (i < n) {
      const c = buf[i] as number;
      if (this.esc) this.esc = false;
      else if (c === BACKSLASH) this.esc = true;
      else if (c === QUOTE) {
        this.inStr = false;
        return i + 1;
      }
      i++;
    }
    return n;
  }

  private openString(i: number): void {
    this.inStr = true;
    if (this.depth !== this.itemDepth || this.start >= 0) return;
    if (this.layout === 'keyed' && this.expectKey) {
      this.keyStart = i + 1;
      this.keyParts = '';
    } else this.begin(i); // a hash value in an id → hash day file
  }

  private afterString(buf: Buffer, end: number): ScannedItem | undefined {
    if (this.depth !== this.itemDepth) return undefined;
    if (this.keyStart >= 0) {
      this.key = this.keyParts + buf.toString('latin1', this.keyStart, end - 1);
      this.keyStart = -1;
      if (!/^\d+$/.test(this.key)) throw formatError(`line ${this.line}: key "${this.key.slice(0, 40)}" is not a killmail id`);
      return undefined;
    }
    return this.start >= 0 ? this.finish(buf, end) : undefined;
  }

  /** `[` or `{` outside entries: the outer array or keyed object. */
  private openContainer(): void {
    if (this.layout === 'docs' || this.depth > 0) throw formatError(`line ${this.line}: unexpected nesting between entries`);
    if (this.closed) throw formatError(`line ${this.line}: more data after the end of the ${this.layout}`);
    this.depth++;
  }

  private closeContainer(c: number): void {
    if (this.depth === 0) throw formatError(`line ${this.line}: unbalanced "${String.fromCharCode(c)}"`);
    this.depth--;
    this.closed = true;
  }

  private begin(i: number): void {
    this.start = i;
    this.startLine = this.line;
    if (this.layout === 'keyed' && this.key === undefined) throw formatError(`line ${this.line}: value without a key`);
  }

  private finish(buf: Buffer, end: number): ScannedItem {
    const item: ScannedItem = { body: new Uint8Array(0), line: this.startLine };
    if (this.discarding) item.tooLarge = true;
    else if (this.parts.length === 0) item.body = buf.subarray(this.start, end);
    else item.body = Buffer.concat([...this.parts, buf.subarray(0, end)]);
    if (this.key !== undefined) item.key = this.key;
    this.parts = [];
    this.partBytes = 0;
    this.start = -1;
    this.discarding = false;
    this.key = undefined;
    this.expectKey = true;
    return item;
  }

  /** Keep the open entry's (and an open key's) bytes for the next chunk, up to maxItemBytes. */
  private carry(buf: Buffer): void {
    if (this.keyStart >= 0) {
      this.keyParts += buf.toString('latin1', this.keyStart);
      this.keyStart = 0;
    }
    if (this.start < 0) return;
    if (!this.discarding) {
      const rest = buf.subarray(this.start);
      this.partBytes += rest.length;
      if (this.partBytes > this.maxItemBytes) {
        this.discarding = true; // counted as too_large when it ends; memory stays bounded
        this.parts = [];
      } else this.parts.push(rest);
    }
    this.start = 0;
  }
}
