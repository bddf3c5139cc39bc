// The fast path of a worker's kill (docs/ARCHITECTURE.md#hot-paths): an inline R2Z2 entry or ESI
// killmail goes from its bytes straight to the canonical JSON bytes and the record's fields,
// without building the entry's objects (JSON.parse), the canonical object, or its text
// (JSON.stringify). Those three were ~30 µs of a worker's ~43 µs per kill (docs/PERFORMANCE.md).
//
// The general path (normalise.ts) stays the definition: for every entry the fast path accepts,
// its bytes equal JSON.stringify(toCanonical(...)) and its fields equal toKillRecord's; every
// entry it is not sure of (an escape, a non-ASCII byte, a duplicate key, a type to reject, a
// number to normalise that is not a plain literal, a short package to fetch) it gives up with
// `false` before anything is written, and the general path answers. test/unit/pipeline/
// transcode.test.ts holds the two paths equal over real killmails and mutated ones.
import type { WarmNames } from '../core/ports.js';
import * as scanner from './json-bytes.js';
import { Bytes } from './json-bytes.js';
import { Slots } from './transcode-slots.js';

// Bound once to module constants. Run from the sources (tsx: tests and `wkills bench`), a Piscina
// worker's modules load as CommonJS, where each read of an imported binding is a getter call: on
// this path, which reads them per token, that doubled the cost, and the benches would measure
// something other than what ships (built, the worker runs as ESM).
const { ABSENT, ascii, BAIL, COLON, FALSE, FRACTION, INT, LBRACE, LBRACKET, NULL, QUOTE, RBRACE, RBRACKET, TRUE } = scanner;
const { key, keyIs, next, open, scalar, skip, stringEnd, token, ws } = scanner;

// Scalar slots, one per key read; an attacker's nine are reused per attacker.
const S_TOP_ID = 0,
  S_HASH = 1,
  S_KM_HASH = 2,
  S_ID = 3,
  S_TIME = 4,
  S_SYSTEM = 5,
  S_MOON = 6,
  S_WAR = 7,
  S_V_IDS = 8, // character, corporation, alliance, faction (canonical order)
  S_V_SHIP = 12,
  S_V_DAMAGE = 13,
  S_V_XYZ = 14,
  S_Z_LOC = 17,
  S_Z_HASH = 18,
  S_Z_NUMBERS = 19, // fitted, dropped, destroyed, total, points
  S_Z_TOTAL = 22,
  S_Z_BOOLS = 24, // npc, solo, awox
  S_NO_HASH = 27, // never written: an empty slot standing for "no hash to fall back to"
  S_A = 28, // an attacker's fields in ATTACKER_KEYS order
  SLOTS = 37;

const ID_NAMES = ['character_id', 'corporation_id', 'alliance_id', 'faction_id'];
/**
 * An attacker's fields in canonical order, which is ESI's (alphabetical): an attacker as ESI sends
 * it is then, byte for byte, its canonical text, and a list of such attackers is copied whole.
 */
const ATTACKER_NAMES = [
  'alliance_id',
  'character_id',
  'corporation_id',
  'damage_done',
  'faction_id',
  'final_blow',
  'security_status',
  'ship_type_id',
  'weapon_type_id',
];
const A_ALLIANCE = 0,
  A_CHARACTER = 1,
  A_CORPORATION = 2,
  A_FINAL_BLOW = 5,
  A_SHIP = 7;
/** Which of an attacker's fields are ids (kept when > 0, left out otherwise). */
const A_IS_ID = [true, true, true, false, true, false, false, true, true];
const ATTACKER_KEYS = ATTACKER_NAMES.map(ascii);
/** Each attacker key's whole four-byte words, little-endian, for attackerKey(). */
const ATTACKER_KEY_WORDS = ATTACKER_KEYS.map((k) =>
  Uint32Array.from(
    { length: k.length >> 2 },
    (_, i) =>
      ((k[4 * i] as number) | ((k[4 * i + 1] as number) << 8) | ((k[4 * i + 2] as number) << 16) | ((k[4 * i + 3] as number) << 24)) >>> 0,
  ),
);
const ID_KEYS = ID_NAMES.map(ascii);
const ZKB_NUMBER_NAMES = ['fittedValue', 'droppedValue', 'destroyedValue', 'totalValue', 'points'];
const ZKB_NUMBER_KEYS = ZKB_NUMBER_NAMES.map(ascii);
const ZKB_BOOL_NAMES = ['npc', 'solo', 'awox'];
const ZKB_BOOL_KEYS = ZKB_BOOL_NAMES.map(ascii);
const XYZ_KEYS = ['x', 'y', 'z'].map(ascii);
const EMPTY = new Uint8Array(0);
const K = {
  esi: ascii('esi'),
  zkb: ascii('zkb'),
  killmailId: ascii('killmail_id'),
  hash: ascii('hash'),
  killmailHash: ascii('killmail_hash'),
  sequenceUpdated: ascii('sequence_updated'),
  package: ascii('package'),
  killID: ascii('killID'),
  time: ascii('killmail_time'),
  system: ascii('solar_system_id'),
  moon: ascii('moon_id'),
  war: ascii('war_id'),
  victim: ascii('victim'),
  attackers: ascii('attackers'),
  shipTypeId: ascii('ship_type_id'),
  damageTaken: ascii('damage_taken'),
  position: ascii('position'),
  locationID: ascii('locationID'),
  labels: ascii('labels'),
};
// Output fragments: keys with their quotes and colon, and the separators around them.
const member = (name: string): Uint8Array => ascii(`"${name}":`);
const O = {
  open: ascii('{"killmail_id":'),
  time: ascii(',"kill_time":"'),
  system: ascii('","system_id":'),
  moon: ascii(',"moon_id":'),
  war: ascii(',"war_id":'),
  victim: ascii(',"victim":{'),
  ids: ID_NAMES.map(member),
  attacker: ATTACKER_NAMES.map(member),
  shipTypeId: member('ship_type_id'),
  damageTaken: ascii(',"damage_taken":'),
  position: ascii(',"position":{"x":'),
  y: ascii(',"y":'),
  z: ascii(',"z":'),
  attackers: ascii('},"attackers":['),
  count: ascii('],"attacker_count":'),
  zkb: ascii(',"zkb":{'),
  locationID: member('locationID'),
  hash: ascii('"hash":"'),
  zkbNumbers: ZKB_NUMBER_NAMES.map((n) => ascii(`,"${n}":`)),
  zkbBools: ZKB_BOOL_NAMES.map((n) => ascii(`,"${n}":`)),
  labels: ascii(',"labels":['),
};

/** Reads one entry at a time; its results stay valid until the next transcode(). */
export class Transcoder {
  /** The canonical JSON: json.a[0 .. json.n). */
  readonly json = new Bytes();
  /** The record's character_ids text (the ids joined by commas). */
  readonly text = new Bytes();
  /** Unique character ids, victim first: characterIds[0 .. characterCount). */
  characterIds = new Float64Array(256);
  characterCount = 0;
  killmailId = 0;
  systemId = 0;
  killTimeMs = 0;
  victimCharacterId = 0;
  totalValue = 0;
  npc = false;
  replace = false;
  /** The names were written too (a Transcoder given WarmNames, and they completed the kill). */
  enriched = false;

  /**
   * With `names`, kills are written enriched, as the general path's enrich() writes a kill its
   * caches complete; a kill they cannot complete is left to the general path.
   */
  constructor(private readonly names?: WarmNames) {}

  private b: Uint8Array = new Uint8Array(0);
  /**
   * The entry's whole buffer as a DataView (attackerKey() compares four bytes at a time), made
   * once per buffer rather than once per kill: entries are views of the same ring. `dvBase` is
   * the entry's offset in it. A read past the entry never matches: the bytes after a compared
   * word are checked on `b`, whose end is the entry's.
   */
  private dv: DataView = new DataView(new ArrayBuffer(0));
  private dvBase = 0;
  private readonly v = new Slots(SLOTS);
  private readonly attackers = new Bytes();
  private readonly labels = new Bytes();
  private attackerCount = 0;
  private attackerChars = new Float64Array(256);
  /** Where each attacker's character_id literal is (-1: not an INT literal, write its digits). */
  private attackerCharAt = new Int32Array(256);
  private attackerCharEnd = new Int32Array(256);
  // characters(): the ids seen in this kill, an open-addressing set whose live slots carry `mark`.
  private seenIds = new Float64Array(512);
  private seenMark = new Uint32Array(512);
  private mark = 0;
  private seenEsi = false;
  private topHasBody = false;
  private seenVictim = false;
  private seenAttackers = false;
  private hasPosition = false;
  private hasZkb = false;
  private hasLabels = false;

  /** True when the entry was transcoded (read the fields and buffers); false: use the general path. */
  transcode(body: Uint8Array): boolean {
    this.names?.begin();
    try {
      this.entry(body);
      return true;
    } catch {
      // BAIL, or anything unforeseen: the general path decides, and reports any error.
      return false;
    }
  }

  private entry(b: Uint8Array): void {
    this.b = b;
    if (b.buffer !== this.dv.buffer) this.dv = new DataView(b.buffer);
    this.dvBase = b.byteOffset;
    this.v.reset(b);
    this.enriched = false;
    this.attackers.n = this.labels.n = this.attackerCount = 0;
    this.seenEsi = this.topHasBody = this.seenVictim = this.seenAttackers = false;
    this.hasPosition = this.hasZkb = this.hasLabels = this.replace = false;
    let p = open(b, ws(b, 0), LBRACE, RBRACE);
    while (p > 0) p = next(b, this.topMember(key(b, p)), RBRACE);
    if (ws(b, -p) !== b.length) throw BAIL;
    if (this.seenEsi) {
      // R2Z2 {killmail_id, hash, esi, zkb, sequence_updated?}: esi.killmail_id must match.
      if (this.topHasBody || this.v.positiveInt(S_ID) !== this.v.positiveInt(S_TOP_ID)) throw BAIL;
      this.emit(this.v.stringSlot(S_HASH, S_NO_HASH));
    } else {
      // A bare ESI killmail (replays, backfill): the top level is the killmail.
      if (!this.topHasBody) throw BAIL;
      this.v.copySlot(S_TOP_ID, S_ID);
      this.emit(this.v.stringSlot(S_KM_HASH, S_NO_HASH));
    }
  }

  private topMember(p: number): number {
    const b = this.b;
    if (keyIs(b, K.esi)) {
      if (this.seenEsi) throw BAIL;
      this.seenEsi = true;
      p = open(b, p, LBRACE, RBRACE);
      while (p > 0) {
        p = key(b, p);
        let q = keyIs(b, K.killmailId) ? this.v.store(S_ID, p) : this.killmailField(p);
        if (q < 0) q = skip(b, p);
        p = next(b, q, RBRACE);
      }
      return -p;
    }
    if (keyIs(b, K.killmailId)) return this.v.store(S_TOP_ID, p);
    if (keyIs(b, K.zkb)) return this.zkb(p);
    if (keyIs(b, K.hash)) return this.v.store(S_HASH, p);
    if (keyIs(b, K.killmailHash)) return this.v.store(S_KM_HASH, p);
    if (keyIs(b, K.sequenceUpdated)) {
      this.replace = b[p] !== 0x6e; // any value but null
      return skip(b, p);
    }
    if (keyIs(b, K.package) || keyIs(b, K.killID)) throw BAIL; // RedisQ packages
    const q = this.killmailField(p);
    if (q < 0) return skip(b, p);
    this.topHasBody = true;
    return q;
  }

  /** A killmail field's value; -1 when the key is not one (the caller skips the value). */
  private killmailField(p: number): number {
    const b = this.b;
    if (keyIs(b, K.attackers)) return this.attackerList(p);
    if (keyIs(b, K.victim)) return this.victim(p);
    if (keyIs(b, K.time)) return this.v.store(S_TIME, p);
    if (keyIs(b, K.system)) return this.v.store(S_SYSTEM, p);
    if (keyIs(b, K.moon)) return this.v.store(S_MOON, p);
    if (keyIs(b, K.war)) return this.v.store(S_WAR, p);
    return -1;
  }

  private victim(p: number): number {
    const b = this.b;
    if (this.seenVictim) throw BAIL;
    this.seenVictim = true;
    p = open(b, p, LBRACE, RBRACE);
    while (p > 0) {
      p = key(b, p);
      const id = keyIndex(b, ID_KEYS);
      if (id >= 0) p = this.v.store(S_V_IDS + id, p);
      else if (keyIs(b, K.shipTypeId)) p = this.v.store(S_V_SHIP, p);
      else if (keyIs(b, K.damageTaken)) p = this.v.store(S_V_DAMAGE, p);
      else if (keyIs(b, K.position)) p = this.position(p);
      else p = skip(b, p);
      p = next(b, p, RBRACE);
    }
    return -p;
  }

  private position(p: number): number {
    const b = this.b;
    if (this.hasPosition) throw BAIL;
    if (b[p] !== LBRACE) return this.nullOnly(p);
    this.hasPosition = true;
    p = open(b, p, LBRACE, RBRACE);
    while (p > 0) {
      p = key(b, p);
      const i = keyIndex(b, XYZ_KEYS);
      p = next(b, i >= 0 ? this.v.store(S_V_XYZ + i, p) : skip(b, p), RBRACE);
    }
    return -p;
  }

  /** An optional object given as null (absent, as validate.ts treats it); anything else gives up. */
  private nullOnly(p: number): number {
    p = scalar(this.b, p);
    if (token.kind !== NULL) throw BAIL;
    return p;
  }

  /**
   * The attackers. Runs of "plain" attackers (see attacker()) stand for themselves: their input
   * bytes, commas included, are copied once at the end (emit) instead of being written field by
   * field; the first attacker that is not plain flushes the run into `attackers` and is written
   * there field by field.
   */
  private attackerList(p: number): number {
    const b = this.b;
    if (this.seenAttackers) throw BAIL;
    this.seenAttackers = true;
    this.runStart = this.runEnd = -1;
    p = open(b, p, LBRACKET, RBRACKET);
    while (p > 0) {
      const at = p;
      const end = this.attacker(p);
      if (this.names !== undefined) this.namedAttacker(this.names, at, end);
      else if (!this.plain) {
        this.flushRun();
        this.writeAttacker();
      } else if (this.runEnd >= 0 && at === this.runEnd + 1)
        this.runEnd = end; // only a comma between
      else {
        this.flushRun();
        this.runStart = at;
        this.runEnd = end;
      }
      p = next(b, end, RBRACKET);
    }
    return -p;
  }

  /** Input bytes of plain attackers not yet in `attackers`: runStart..runEnd (-1: none). */
  private runStart = -1;
  private runEnd = -1;

  private flushRun(): void {
    if (this.runEnd < 0) return;
    this.copyRun(this.attackers);
    this.runStart = this.runEnd = -1;
  }

  /** The pending run into `out`, after a comma when attackers were written before it. */
  private copyRun(out: Bytes): void {
    out.ensure(this.runEnd - this.runStart + 1);
    if (this.attackers.n > 0) out.byte(0x2c);
    out.span(this.b, this.runStart, this.runEnd);
  }

  /** What attackerKey() found: an index in ATTACKER_KEYS, or -1; and where the key's closing quote is. */
  private field = -1;
  private keyClose = 0;

  /**
   * An attacker's key, p on its quote: picks the one candidate its first two bytes allow and
   * compares while scanning (one pass over the key, not a scan then a compare). Sets `field`;
   * returns the value's position.
   */
  private attackerKey(p: number): number {
    const b = this.b;
    if (b[p] !== QUOTE) throw BAIL;
    const c = b[p + 1];
    const d = b[p + 2];
    let f: number;
    if (c === 0x63)
      f = d === 0x68 ? 1 : 2; // character_id, corporation_id
    else if (c === 0x61)
      f = 0; // alliance_id
    else if (c === 0x64)
      f = 3; // damage_done
    else if (c === 0x66)
      f = d === 0x61 ? 4 : 5; // faction_id, final_blow
    else if (c === 0x73)
      f = d === 0x65 ? 6 : 7; // security_status, ship_type_id
    else if (c === 0x77)
      f = 8; // weapon_type_id
    else f = -1;
    let q = p + 1;
    if (f >= 0) {
      // Four bytes per compare (an unaligned little-endian read), then the tail byte by byte.
      const words = ATTACKER_KEY_WORDS[f] as Uint32Array;
      const k = ATTACKER_KEYS[f] as Uint8Array;
      const dv = this.dv;
      const base = this.dvBase;
      let i = 0;
      while (i < words.length && dv.getUint32(base + q, true) === words[i]) {
        i++;
        q += 4;
      }
      if (i === words.length) for (i *= 4; i < k.length && b[q] === k[i]; i++) q++;
      if (i !== k.length || b[q] !== QUOTE) f = -1;
    }
    if (f < 0) q = stringEnd(b, p);
    this.field = f;
    this.keyClose = q;
    q = ws(b, q + 1);
    if (b[q] !== COLON) throw BAIL;
    return ws(b, q + 1);
  }

  /** Whether the last attacker() read was plain: its bytes are its canonical text. */
  private plain = false;

  /**
   * The hot loop: most of an entry's bytes are its attackers. Reads one into the attacker slots
   * and notes whether it is plain: no whitespace, only known keys in canonical order, each id an
   * integer > 0, damage_done and security_status plain numbers, final_blow a boolean. ESI sends
   * every attacker that way. Returns the position after its closing brace.
   */
  private attacker(p: number): number {
    const b = this.b;
    const v = this.v;
    const kind = v.kind;
    for (let i = S_A; i < SLOTS; i++) kind[i] = ABSENT; // a loop: fill() is a slow call for nine bytes
    const from = p;
    p = open(b, p, LBRACE, RBRACE);
    let plain = p === from + 1;
    let last = -1;
    while (p > 0) {
      p = this.attackerKey(p);
      const f = this.field;
      if (f <= last || p !== this.keyClose + 2) plain = false;
      last = f;
      const end = f < 0 ? skip(b, p) : v.store(S_A + f, p);
      p = next(b, end, RBRACE);
      if ((p > 0 ? p : -p) !== end + 1) plain = false;
    }
    if (plain) {
      for (let i = 0; i < 9 && plain; i++) {
        const slot = S_A + i;
        const k = kind[slot];
        if (A_IS_ID[i] === true) plain = k === ABSENT || (k === INT && (v.int[slot] as number) > 0);
        else if (i === A_FINAL_BLOW) plain = k === TRUE || k === FALSE;
        else plain = k === INT || k === FRACTION;
      }
    }
    this.plain = plain;
    const at = this.attackerCount++;
    if (at === this.attackerChars.length) {
      this.attackerChars = grow(this.attackerChars);
      this.attackerCharAt = growInt(this.attackerCharAt);
      this.attackerCharEnd = growInt(this.attackerCharEnd);
    }
    const character = S_A + A_CHARACTER;
    this.attackerChars[at] = v.id(character);
    this.attackerCharAt[at] = kind[character] === INT ? (v.start[character] as number) : -1;
    this.attackerCharEnd[at] = v.end[character] as number;
    return -p;
  }

  /**
   * With names, each attacker is written with its own: its input bytes when plain, else field by
   * field, then the names before its closing brace (Resolver.fill's order). BAIL when the caches
   * cannot complete it.
   */
  private namedAttacker(names: WarmNames, at: number, end: number): void {
    const out = this.attackers;
    if (this.plain) {
      out.ensure(end - at + 1);
      if (out.n > 0) out.byte(0x2c);
      out.span(this.b, at, end - 1); // without its closing brace
    } else {
      this.writeAttacker();
      out.n--; // its closing brace, written again after the names
    }
    const v = this.v;
    writeNames(names, out, v.id(S_A + A_CHARACTER), v.id(S_A + A_CORPORATION), v.id(S_A + A_ALLIANCE), v.id(S_A + A_SHIP), false);
    out.ensure(1);
    out.byte(RBRACE);
  }

  /** An attacker that is not plain, field by field in canonical order, into `attackers`. */
  private writeAttacker(): void {
    const v = this.v;
    const out = this.attackers;
    out.ensure(640);
    if (out.n > 0) out.byte(0x2c);
    out.byte(LBRACE);
    let first = true;
    for (let i = 0; i < 9; i++) {
      const slot = S_A + i;
      if (A_IS_ID[i] === true && v.id(slot) === 0) continue;
      if (!first) out.byte(0x2c);
      first = false;
      out.put(O.attacker[i] as Uint8Array);
      if (A_IS_ID[i] === true) v.numberText(slot, out);
      else if (i === A_FINAL_BLOW) v.bool(slot, out);
      else v.num(slot, out);
    }
    out.byte(RBRACE);
  }

  private zkb(p: number): number {
    const b = this.b;
    if (this.hasZkb) throw BAIL;
    if (b[p] !== LBRACE) return this.nullOnly(p);
    this.hasZkb = true;
    p = open(b, p, LBRACE, RBRACE);
    while (p > 0) {
      p = key(b, p);
      let i: number;
      if ((i = keyIndex(b, ZKB_NUMBER_KEYS)) >= 0) p = this.v.store(S_Z_NUMBERS + i, p);
      else if ((i = keyIndex(b, ZKB_BOOL_KEYS)) >= 0) p = this.v.store(S_Z_BOOLS + i, p);
      else if (keyIs(b, K.hash)) p = this.v.store(S_Z_HASH, p);
      else if (keyIs(b, K.locationID)) p = this.v.store(S_Z_LOC, p);
      else if (keyIs(b, K.labels)) p = this.labelList(p);
      else p = skip(b, p);
      p = next(b, p, RBRACE);
    }
    return -p;
  }

  /** zkb.labels, written out as JSON.stringify would (strings only). */
  private labelList(p: number): number {
    const b = this.b;
    const out = this.labels;
    if (this.hasLabels) throw BAIL;
    this.hasLabels = true;
    if (b[p] !== LBRACKET) return this.nullOnly(p);
    p = open(b, p, LBRACKET, RBRACKET);
    while (p > 0) {
      if (b[p] !== QUOTE) throw BAIL;
      const q = scalar(b, p);
      out.ensure(token.end - token.start + 3);
      if (out.n > 0) out.byte(0x2c);
      out.copy(b, token.start - 1, token.end + 1); // with its quotes
      p = next(b, q, RBRACKET);
    }
    return -p;
  }

  // ---- writing, once every key is read ----

  private emit(fallbackHash: number): void {
    const out = this.json;
    if (!this.seenVictim || !this.seenAttackers) throw BAIL;
    this.killmailId = this.v.positiveInt(S_ID);
    this.systemId = this.v.positiveInt(S_SYSTEM);
    this.killTimeMs = this.v.time(S_TIME);
    out.n = 0;
    out.ensure(
      2048 +
        this.attackers.n +
        Math.max(0, this.runEnd - this.runStart) +
        this.labels.n +
        this.v.length(S_Z_HASH) +
        this.v.length(fallbackHash),
    );
    out.put(O.open);
    this.v.numberText(S_ID, out);
    out.put(O.time);
    out.copy(this.b, this.v.start[S_TIME] as number, this.v.end[S_TIME] as number);
    out.put(O.system);
    this.v.numberText(S_SYSTEM, out);
    this.v.optionalId(S_MOON, O.moon, out);
    this.v.optionalId(S_WAR, O.war, out);
    out.put(O.victim);
    for (let i = 0; i < 4; i++) if (this.v.optionalId(S_V_IDS + i, O.ids[i] as Uint8Array, out)) out.byte(0x2c);
    out.put(O.shipTypeId);
    this.v.requiredInt(S_V_SHIP, 0);
    this.v.numberText(S_V_SHIP, out);
    out.put(O.damageTaken);
    this.v.num(S_V_DAMAGE, out);
    if (this.hasPosition) {
      out.put(O.position);
      this.v.num(S_V_XYZ, out);
      out.put(O.y);
      this.v.num(S_V_XYZ + 1, out);
      out.put(O.z);
      this.v.num(S_V_XYZ + 2, out);
      out.byte(RBRACE);
    }
    if (this.names !== undefined) this.victimNames(this.names);
    out.put(O.attackers);
    out.span(this.attackers.a, 0, this.attackers.n);
    if (this.runEnd >= 0) this.copyRun(out); // the last run of plain attackers, from the entry
    out.put(O.count);
    out.int(this.attackerCount);
    this.emitZkb(fallbackHash);
    if (this.names !== undefined) {
      const system = this.names.system(this.systemId);
      if (system === undefined) throw BAIL;
      out.ensure(system.length + 1);
      out.fragment(system);
      this.enriched = true;
    }
    out.byte(RBRACE);
    this.victimCharacterId = this.v.id(S_V_IDS);
    this.characters();
  }

  /** The victim's names, after its last field (Resolver.fill's order); BAIL when the caches cannot complete them. */
  private victimNames(names: WarmNames): void {
    const v = this.v;
    writeNames(names, this.json, v.id(S_V_IDS), v.id(S_V_IDS + 1), v.id(S_V_IDS + 2), v.id(S_V_SHIP), true);
  }

  /** The kill's record was used: its name lookups count as enrich() counts them (WarmNames.commit). */
  commitNames(): void {
    if (this.enriched) this.names?.commit();
  }

  /** validate.ts zkbOf: dropped without a hash (its own, else the entry's); href and unknown keys dropped. */
  private emitZkb(fallbackHash: number): void {
    const out = this.json;
    this.npc = false;
    this.totalValue = 0;
    if (!this.hasZkb) return;
    const hash = this.v.stringSlot(S_Z_HASH, fallbackHash);
    if (this.v.length(hash) === 0) return; // covers S_NO_HASH
    out.put(O.zkb);
    if (this.v.optionalId(S_Z_LOC, O.locationID, out)) out.byte(0x2c);
    out.put(O.hash);
    out.copy(this.b, this.v.start[hash] as number, this.v.end[hash] as number);
    out.byte(QUOTE);
    for (let i = 0; i < 5; i++) {
      out.put(O.zkbNumbers[i] as Uint8Array);
      this.v.num(S_Z_NUMBERS + i, out);
    }
    for (let i = 0; i < 3; i++) {
      out.put(O.zkbBools[i] as Uint8Array);
      this.v.bool(S_Z_BOOLS + i, out);
    }
    out.put(O.labels);
    out.span(this.labels.a, 0, this.labels.n);
    out.byte(RBRACKET);
    out.byte(RBRACE);
    this.npc = this.v.kind[S_Z_BOOLS] === TRUE;
    this.totalValue = this.v.numberOf(S_Z_TOTAL);
  }

  /** normalise.ts characterIdsOf: unique ids, victim first, and their text. */
  private characters(): void {
    const count = this.attackerCount + 1;
    if (this.characterIds.length < count) this.characterIds = new Float64Array(count * 2);
    if (this.seenIds.length < count * 2) {
      const size = 1 << Math.ceil(Math.log2(count * 2));
      this.seenIds = new Float64Array(size);
      this.seenMark = new Uint32Array(size);
    }
    if (++this.mark === 0xffffffff) {
      this.seenMark.fill(0);
      this.mark = 1;
    }
    this.characterCount = 0;
    this.text.n = 0;
    const victim = S_V_IDS; // character_id
    this.addCharacter(
      this.victimCharacterId,
      this.v.kind[victim] === INT ? (this.v.start[victim] as number) : -1,
      this.v.end[victim] as number,
    );
    for (let i = 0; i < this.attackerCount; i++)
      this.addCharacter(this.attackerChars[i] as number, this.attackerCharAt[i] as number, this.attackerCharEnd[i] as number);
  }

  /**
   * Adds an id (> 0) not seen in this kill, and its text: the literal's bytes at start..end when
   * start >= 0, else its digits. The set is open-addressing, cleared by bumping `mark`.
   */
  private addCharacter(id: number, start: number, end: number): void {
    if (!(id > 0)) return;
    const ids = this.seenIds;
    const marks = this.seenMark;
    const mask = ids.length - 1;
    let h = Math.imul(id | 0, 0x9e3779b1) >>> 0;
    for (h &= mask; marks[h] === this.mark; h = (h + 1) & mask) if (ids[h] === id) return;
    marks[h] = this.mark;
    ids[h] = id;
    const text = this.text;
    text.ensure(17);
    if (this.characterCount > 0) text.byte(0x2c);
    if (start >= 0) text.copy(this.b, start, end);
    else text.int(id);
    this.characterIds[this.characterCount++] = id;
  }
}

/**
 * A participant's names in Resolver.fill's order (character, corporation, alliance, ship), for
 * the ids > 0; BAIL when the caches cannot complete one (the output is then discarded whole).
 */
function writeNames(
  names: WarmNames,
  out: Bytes,
  character: number,
  corporation: number,
  alliance: number,
  ship: number,
  victim: boolean,
): void {
  const c = character > 0 ? names.character(character) : EMPTY;
  const o = corporation > 0 ? names.corporation(corporation) : EMPTY;
  const a = alliance > 0 ? names.alliance(alliance) : EMPTY;
  const t = ship > 0 ? names.ship(ship, victim) : EMPTY;
  if (c === undefined || o === undefined || a === undefined || t === undefined) throw BAIL;
  out.ensure(c.length + o.length + a.length + t.length);
  out.fragment(c);
  out.fragment(o);
  out.fragment(a);
  out.fragment(t);
}

function keyIndex(b: Uint8Array, keys: readonly Uint8Array[]): number {
  for (let i = 0; i < keys.length; i++) if (keyIs(b, keys[i] as Uint8Array)) return i;
  return -1;
}

function growInt(a: Int32Array): Int32Array<ArrayBuffer> {
  const bigger = new Int32Array(a.length * 2);
  bigger.set(a);
  return bigger;
}

function grow(a: Float64Array): Float64Array<ArrayBuffer> {
  const bigger = new Float64Array(a.length * 2);
  bigger.set(a);
  return bigger;
}
