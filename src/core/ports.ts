// Interfaces through which the stages meet in app.ts (DESIGN "Stages never import each other").
import type { KillRecord } from './killmail.js';

// ---------------------------------------------------------------- feeds → pipeline

export type SourceKind = 'r2z2' | 'redisq' | 'esi' | 'backfill';

/** One raw feed entry: bytes as received, never parsed on the main thread. */
export interface RawEntry {
  source: SourceKind;
  body: Uint8Array;
  /** Feed position used for cursor acknowledgement (R2Z2 sequence, backfill index); 0 when none. */
  seq: number;
  /** Epoch µs when received (clock.epochUs). */
  receivedAtUs: number;
  /** Kills older than this (epoch ms) are `older`; 0 disables the cutoff. */
  cutoffMs: number;
}

/**
 * Where feeds push entries. `push` returns false when the pipeline is full; the feed then
 * waits for `whenWritable()` before pushing again (back-pressure, never a silent drop).
 */
export interface IngestSink {
  push(entry: RawEntry): boolean;
  whenWritable(): Promise<void>;
}

/** Persisted feed cursors (store's cursor table). */
export interface CursorStore {
  getCursor(name: string): string | undefined;
  setCursor(name: string, value: string): void;
}

export interface Feed {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Called by app.ts when an entry pushed with `seq` reached a terminal outcome. */
  ack(seq: number): void;
  /**
   * The cursor to persist once the acknowledged entries are committed, when it moved since the
   * last call (feeds that keep a cursor); app.ts writes it once per store batch.
   */
  pendingCursor?(): { name: string; value: string } | undefined;
  stats(): Record<string, number | string | boolean | null>;
}

// ---------------------------------------------------------------- pipeline → store / bus

export type FailReason =
  | 'json'
  | 'shape'
  | 'missing_field'
  | 'wrong_type'
  | 'too_large'
  | 'esi_fetch'
  | 'dead_letter';

export type PipelineOutcome =
  | { kind: 'kill'; kill: KillRecord; older: boolean; seq: number; source: SourceKind }
  | { kind: 'failed'; reason: FailReason; message: string; seq: number; source: SourceKind; body?: Uint8Array };

// ---------------------------------------------------------------- store (read side)

export interface KillQuery {
  systemId: number;
  sinceMs: number;
  limit: number;
}

/** One stored kill with its routing keys, so readers need not pick the JSON apart. */
export interface StoredKill {
  killmailId: number;
  systemId: number;
  killTimeMs: number;
  /** Victim and attacker character ids. */
  characterIds: readonly number[];
  /** The canonical JSON text as stored. */
  json: string;
}

/** A system's newest kills as stored bytes: `k1,k2,...` (no brackets), one buffer for them all. */
export interface KillListBytes {
  /** The stored JSON of each kill joined by commas, UTF-8; empty when there is none. */
  bytes: Buffer;
  count: number;
  /** kill_time_ms of the oldest kill in the list; +Infinity when empty. */
  oldestKillTimeMs: number;
}

/** Read-only queries used by REST, WebSocket preload and SSE. Results are canonical JSON texts. */
export interface KillReader {
  /** killsBySystem as one buffer of stored bytes: no JS string or object per kill (REST hot path). */
  systemKillBytes(q: KillQuery): KillListBytes;
  /** killsBySystem as typed rows (WebSocket preload). */
  systemKillRows(q: KillQuery): StoredKill[];
  /** killsByCharacter as typed rows (WebSocket preload). */
  characterKillRows(characterId: number, sinceMs: number, limit: number): StoredKill[];
  /**
   * Changes whenever a kill of the system is stored, replaced, re-enriched or pruned by this
   * process's writer: an answer built at one version is current while the version is the same.
   */
  systemVersion(systemId: number): number;
  killsBySystem(q: KillQuery): string[];
  killsBySystems(systemIds: readonly number[], sinceMs: number, limitPerSystem: number): Map<number, string[]>;
  killsByCharacter(characterId: number, sinceMs: number, limit: number): string[];
  killById(killmailId: number): string | undefined;
  countBySystem(systemId: number, sinceMs: number): number;
  /** Newest-first JSON texts for kills that match any of the systems or characters. */
  recentKills(sinceMs: number, limit: number): string[];
  stats(): StoreStats;
}

export interface StoreStats {
  killmails: number;
  systems: number;
  dbBytes: number;
  walBytes: number;
}

// ---------------------------------------------------------------- bus (store → fan-out)

/** A stored kill as fan-out sees it: routing keys plus the canonical JSON, encoded once. */
export interface BusKill {
  killmailId: number;
  systemId: number;
  characterIds: readonly number[];
  totalValue: number;
  killTimeMs: number;
  json: string;
  receivedAtUs: number;
}

export interface KillBus {
  publish(kills: readonly BusKill[]): void;
  subscribe(listener: (kills: readonly BusKill[]) => void): () => void;
}

// ---------------------------------------------------------------- enrichment (used inside workers)

/** What a pipeline worker needs from enrich/ (implemented in src/enrich/worker-enricher.ts). */
export interface WorkerEnricher {
  /** The ESI killmail body for a short RedisQ package or a zKB reference: GET /killmails/{id}/{hash}/. */
  fetchKillmail(killmailId: number, hash: string): Promise<unknown>;
  /**
   * Fill name fields of `kill` in place (SPEC §3.1/§3.2), waiting at most `budgetMs`.
   * Returns true when every id that can resolve did; false when some were left as ids.
   */
  enrich(kill: import('./killmail.js').CanonicalKillmail, budgetMs: number): Promise<boolean>;
  stats(): Record<string, number>;
  close(): Promise<void>;
}

// ---------------------------------------------------------------- http-facing sources

export interface ComponentHealth {
  healthy: boolean;
  message: string;
}

/** Each stage reports its own health; /health combines them (SPEC §9). */
export type HealthCheck = () => ComponentHealth;

/** Fetch one killmail that is not in the store (zKB API + ESI), enriched, not stored nor broadcast. */
export type KillFetcher = (killmailId: number) => Promise<string | undefined>;

export interface WsStats {
  activeConnections: number;
  activeSubscriptions: number;
  subscribedSystems: number;
  subscribedCharacters: number;
  killsSentRealtime: number;
  killsSentPreload: number;
  startedAtMs: number;
}
