// The published feed: one entry per R2Z2 sequence number, in publish order. Publishing is O(1)
// (an entry records only its source reference, ids and times); bodies are built on first request
// and kept in a byte-bounded cache, and rebuilt identically if evicted. The log keeps at most
// `maxEntries`; older sequence numbers then 404 as expired ephemeral files do on R2Z2.
import { BAD_KINDS, type BadKind, type GeneratedKill } from './esi-types.js';
import type { KillSource } from './source.js';

export interface EntryMeta {
  seq: number;
  ref: number;
  killmailId: number;
  hash: string;
  killTimeMs: number;
  uploadedAtS: number;
  bad?: BadKind;
  /** Set on a republished entry: the older sequence it supersedes. */
  updatedFrom?: number;
  extraLabels: readonly string[];
}

export interface FeedLogOptions {
  startSequence: number;
  /** Every Nth new entry is bad (rotating BAD_KINDS); 0 disables. */
  badEvery: number;
  maxEntries: number;
  cacheBytes: number;
}

const OVERSIZED_ATTACKERS = 6000;

export class FeedLog {
  private readonly entries = new Map<number, EntryMeta>();
  private readonly byId = new Map<number, EntryMeta>();
  private readonly archive: EntryMeta[] = [];
  private readonly cache = new Map<string, Buffer>();
  private cachedBytes = 0;
  private nextRef = 0;
  private fresh = 0;
  readonly badCounts: Record<BadKind, number> = { malformed_json: 0, missing_killmail_time: 0, wrong_type: 0, oversized: 0 };
  republished = 0;
  lastSequence: number;

  constructor(
    private readonly source: KillSource,
    private readonly opts: FeedLogOptions,
  ) {
    this.lastSequence = opts.startSequence - 1;
  }

  /** Entries the source can still publish (Infinity for the generator). */
  get remaining(): number {
    return this.source.size === undefined ? Infinity : this.source.size - this.nextRef;
  }

  get size(): number {
    return this.entries.size;
  }

  /**
   * Number the next entry `seq + 1` when nothing has been published yet (an embedded simulator
   * restarted on a database whose cursor is further on). The generator skips as many kills, so
   * their ids are new too; a replay keeps its order. False when entries exist: numbers never go back.
   */
  resumeAfter(seq: number): boolean {
    if (this.entries.size > 0 || seq <= this.lastSequence) return false;
    if (this.source.size === undefined) this.nextRef += seq - this.lastSequence;
    this.lastSequence = seq;
    return true;
  }

  publish(nowMs: number): EntryMeta | undefined {
    if (this.remaining <= 0) return undefined;
    const ref = this.nextRef++;
    this.fresh++;
    const { killmailId, hash } = this.source.identity(ref);
    const meta: EntryMeta = {
      seq: this.lastSequence + 1,
      ref,
      killmailId,
      hash,
      killTimeMs: this.source.killTimeMs(ref, nowMs),
      uploadedAtS: Math.floor(nowMs / 1000),
      extraLabels: [],
    };
    const every = this.opts.badEvery;
    if (every > 0 && this.fresh % every === 0) {
      const kind = BAD_KINDS[(this.fresh / every - 1) % BAD_KINDS.length] as BadKind;
      meta.bad = kind;
      this.badCounts[kind]++;
    }
    this.append(meta);
    return meta;
  }

  /** A new sequence entry for an already published kill, with changed labels (R2Z2 `sequence_updated`). */
  republish(seq: number, nowMs: number, labels: readonly string[] = ['ganked']): EntryMeta | undefined {
    const old = this.entries.get(seq);
    if (!old) return undefined;
    const meta: EntryMeta = {
      ...old,
      seq: this.lastSequence + 1,
      uploadedAtS: Math.floor(nowMs / 1000),
      updatedFrom: old.seq,
      extraLabels: [...old.extraLabels, ...labels],
    };
    this.republished++;
    // A republished bad entry is published bad again, so it counts again: stats stay exact.
    if (meta.bad !== undefined) this.badCounts[meta.bad]++;
    this.append(meta);
    return meta;
  }

  private append(meta: EntryMeta): void {
    this.entries.set(meta.seq, meta);
    this.byId.set(meta.killmailId, meta);
    this.lastSequence = meta.seq;
    while (this.entries.size > this.opts.maxEntries) {
      const [oldest, gone] = this.entries.entries().next().value as [number, EntryMeta];
      this.entries.delete(oldest);
      if (this.byId.get(gone.killmailId) === gone) this.byId.delete(gone.killmailId);
    }
  }

  /**
   * Kills from before the feed started (`historyDays`): served by `/history/…`, ESI and the zKB
   * API but never by `/ephemeral/…`, like days that have aged out of R2Z2's window. They use
   * negative generator references so their ids sit just below the live ones.
   */
  addArchive(days: number, perDay: number, nowMs: number): void {
    if (this.source.size !== undefined || days <= 0 || perDay <= 0) return;
    const today = Math.floor(nowMs / 86_400_000) * 86_400_000;
    let ref = -days * perDay;
    for (let d = days; d >= 1; d--) {
      for (let i = 0; i < perDay; i++, ref++) {
        const { killmailId, hash } = this.source.identity(ref);
        const killTimeMs = today - d * 86_400_000 + Math.floor(((i + 0.5) * 86_400_000) / perDay);
        const meta: EntryMeta = { seq: 0, ref, killmailId, hash, killTimeMs, uploadedAtS: Math.floor(killTimeMs / 1000), extraLabels: [] };
        this.archive.push(meta);
        this.byId.set(killmailId, meta);
      }
    }
  }

  get(seq: number): EntryMeta | undefined {
    return this.entries.get(seq);
  }

  byKillmailId(id: number): EntryMeta | undefined {
    return this.byId.get(id);
  }

  /** Archived and live entries, oldest first. */
  *all(): IterableIterator<EntryMeta> {
    yield* this.archive;
    yield* this.entries.values();
  }

  /** The good kill of an entry (bad kinds applied by the body builders below). */
  kill(meta: EntryMeta): GeneratedKill {
    return this.source.kill(meta.ref, meta.killTimeMs, meta.extraLabels, meta.bad === 'oversized' ? OVERSIZED_ATTACKERS : undefined);
  }

  /** The ESI killmail as served, spoiled when the entry is bad. */
  esiValue(meta: EntryMeta, kill: GeneratedKill = this.kill(meta)): unknown {
    const esi: Record<string, unknown> = { ...kill.esi };
    if (meta.bad === 'missing_killmail_time') delete esi.killmail_time;
    if (meta.bad === 'wrong_type') esi.solar_system_id = 'abc';
    return esi;
  }

  /** R2Z2 `/ephemeral/N.json` body. */
  entryBytes(meta: EntryMeta): Buffer {
    return this.cached(`e${meta.seq}`, () => {
      const k = this.kill(meta);
      const entry: Record<string, unknown> = {
        killmail_id: k.killmail_id,
        hash: k.hash,
        esi: this.esiValue(meta, k),
        zkb: k.zkb,
        uploaded_at: meta.uploadedAtS,
        sequence_id: meta.seq,
      };
      if (meta.updatedFrom !== undefined) entry.sequence_updated = meta.updatedFrom;
      return this.serialise(meta, entry);
    });
  }

  /** ESI `/killmails/{id}/{hash}/` body. */
  esiBytes(meta: EntryMeta): Buffer {
    return this.cached(`k${meta.killmailId}:${meta.seq}`, () => this.serialise(meta, this.esiValue(meta)));
  }

  /** RedisQ package (without the `{"package": …}` wrapper), inline or short. */
  packageBytes(meta: EntryMeta, inline: boolean): Buffer {
    const k = this.kill(meta);
    const pkg = inline ? { killID: k.killmail_id, killmail: this.esiValue(meta, k), zkb: k.zkb } : { killID: k.killmail_id, zkb: k.zkb };
    return this.serialise(meta, { package: pkg });
  }

  /** Malformed entries are served as JSON cut mid-document with a stray comma: a parse error. */
  private serialise(meta: EntryMeta, value: unknown): Buffer {
    const text = JSON.stringify(value);
    if (meta.bad !== 'malformed_json') return Buffer.from(text);
    return Buffer.from(`${text.slice(0, Math.max(1, Math.floor(text.length / 2)))},,`);
  }

  private cached(key: string, build: () => Buffer): Buffer {
    const hit = this.cache.get(key);
    if (hit) return hit;
    const buf = build();
    if (buf.length > this.opts.cacheBytes) return buf;
    this.cache.set(key, buf);
    this.cachedBytes += buf.length;
    while (this.cachedBytes > this.opts.cacheBytes) {
      const [k, v] = this.cache.entries().next().value as [string, Buffer];
      this.cache.delete(k);
      this.cachedBytes -= v.length;
    }
    return buf;
  }
}
