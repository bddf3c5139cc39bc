// Interfaces through which the stages meet in app.ts (docs/ARCHITECTURE.md#stages-and-arrows).
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

/** A stored kill's routing columns in storage order (WebSocket resume, `since`). */
export interface StoredKillRef {
  killmailId: number;
  storedAtMs: number;
  systemId: number;
  killTimeMs: number;
  /** Victim and attacker character ids, comma-separated. */
  characterIds: string;
}

/** Kills in the order they were stored, for WebSocket clients that resume after a disconnect (`since`). */
export interface StoredOrderReader {
  /** When the kill was stored (epoch ms), undefined when it is not stored. */
  storedAt(killmailId: number): number | undefined;
  /** Up to `limit` kills stored after the point (afterMs, afterId), in (stored_at, id) order. */
  storedAfter(afterMs: number, afterId: number, limit: number): StoredKillRef[];
  /** The canonical JSON of a stored kill. */
  json(killmailId: number): string | undefined;
}

/** Backfill progress (store's backfill_progress table) and the dedupe check before an ESI call. */
export interface BackfillProgressStore {
  get(job: string, unit: string): { position: number; done: boolean } | undefined;
  set(job: string, unit: string, position: number, done: boolean): void;
  /** The killmail id is already stored. */
  hasKill(killmailId: number): boolean;
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
  pendingCursor?(): CursorValue | undefined;
  stats(): Record<string, number | string | boolean | null>;
  /**
   * GET the entry pushed with `seq` again (feeds whose entries are immutable files: R2Z2), for
   * an entry whose body did not parse. The caller pushes the bytes again under the same seq.
   */
  refetch?(seq: number): Promise<{ ok: true; body: Uint8Array } | { ok: false; message: string }>;
}

// ---------------------------------------------------------------- pipeline → store / bus

export type FailReason = 'json' | 'shape' | 'missing_field' | 'wrong_type' | 'too_large' | 'esi_fetch' | 'dead_letter';

export type PipelineOutcome =
  | { kind: 'kill'; kill: KillRecord; older: boolean; seq: number; source: SourceKind }
  | { kind: 'failed'; reason: FailReason; message: string; seq: number; source: SourceKind; body?: Uint8Array };

// ---------------------------------------------------------------- ingest → store / pipeline

/** The writer's answer per record: new, already stored, stored copy replaced, or dead-lettered. */
export type KillWriteOutcome = 'stored' | 'skipped' | 'replaced' | 'invalid';

export interface DeadLetter {
  source: string;
  reason: string;
  message: string;
  body?: Uint8Array | string;
}

/** The store's single writer as the ingest stage uses it (implemented by src/store/writer.ts). */
export interface KillWriter {
  /** One transaction; the answers are index-aligned with `records`. */
  writeBatch(records: readonly KillRecord[]): readonly KillWriteOutcome[];
  /** Replace a stored kill's JSON (late name completion); false when it is no longer stored. */
  updateJson(killmailId: number, json: string, enriched: boolean): boolean;
  deadLetter(entry: DeadLetter): void;
  /**
   * The same transaction on the store's writer thread when it runs one (file databases,
   * `dbWriterThread`): the main thread only hands the batch over and applies the outcomes. Absent:
   * the sink calls writeBatch. One batch at a time; rejects with ERR_STORE_WRITE like writeBatch throws.
   */
  readonly writeBatchAsync?: (records: readonly KillRecord[], cursors?: readonly CursorValue[]) => Promise<readonly KillWriteOutcome[]>;
}

/** A feed's position to persist under `name`, committed with a store batch or alone. */
export interface CursorValue {
  readonly name: string;
  readonly value: string;
}

/**
 * Webhook outbox rows a batch writes in its own transaction (so a crash keeps both the kill and
 * its deliveries or neither): planned before the batch from the kills alone, inserted for the
 * kills that turn out `stored`, then reported back once committed. Planning first lets the
 * transaction run on the writer thread, away from the subscriptions in memory.
 */
export interface OutboxPlan {
  /** Per row: the index of its kill in the batch's records, and the subscription. */
  readonly records: number[];
  readonly subscriptionIds: string[];
  readonly dueAtMs: number;
}

/** Implemented by the webhook service, called by the store's writer around each batch. */
export interface OutboxPlanner {
  /** Rows to enqueue if their kills are stored; undefined when nothing matched. */
  plan(records: readonly KillRecord[]): OutboxPlan | undefined;
  /** After the commit: the rows of `stored` kills are in the outbox. */
  committed(plan: OutboxPlan, records: readonly KillRecord[], outcomes: readonly KillWriteOutcome[]): void;
}

/** Late name completion of a stored canonical JSON (implemented by the pipeline's worker pool). */
export interface Reenricher {
  reenrich(json: string): Promise<{ json: string; enriched: boolean }>;
}

/** Normalise (and enrich) one entry outside the rings (implemented by the pipeline's worker pool). */
export interface SingleRunner {
  runOne(body: Uint8Array, source: SourceKind): Promise<PipelineOutcome>;
}

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

/** A system's newest kills as their stored JSON texts, newest first (the REST answer cache writes them into its body). */
export interface KillTexts {
  texts: string[];
  /** kill_time_ms of the oldest kill in the list; +Infinity when empty. */
  oldestKillTimeMs: number;
}

/** Read-only queries used by REST, WebSocket preload and SSE. Results are canonical JSON texts. */
export interface KillReader {
  /** killsBySystem with the oldest kill's time (a REST answer stays valid until the window passes it). */
  systemKillTexts(q: KillQuery): KillTexts;
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
   * Fill name fields of `kill` in place (docs/API.md#the-canonical-killmail), waiting at most `budgetMs`.
   * Returns true when every id that can resolve did; false when some were left as ids.
   */
  enrich(kill: import('./killmail.js').CanonicalKillmail, budgetMs: number): Promise<boolean>;
  /** The caches as text fragments, for a kill read bytes to bytes (pipeline/transcode.ts). */
  warmNames?(): WarmNames;
  stats(): Record<string, number>;
  close(): Promise<void>;
}

/**
 * A worker's warm name caches as the exact text a complete enrich() appends to a killmail's
 * objects, as UTF-8 JSON: `,"character_name":"…"` for a character, name and ticker for a
 * corporation or alliance, the ship's name (and, for the victim, its group id and group name),
 * the system's name, security status and region. An id ESI does not know gives an empty
 * fragment (enrich() leaves it an id); undefined means the caches cannot complete it (not cached,
 * expired, partly known), and the kill takes the general path, which looks it up.
 */
export interface WarmNames {
  /** Starts a kill: the lookups until commit() or the next begin() are that kill's. */
  begin(): void;
  character(id: number): Uint8Array | undefined;
  corporation(id: number): Uint8Array | undefined;
  alliance(id: number): Uint8Array | undefined;
  /** `victim`: also the ship's group (ship_group_id, ship_group_name), as enrich() fills for the victim. */
  ship(typeId: number, victim: boolean): Uint8Array | undefined;
  system(id: number): Uint8Array | undefined;
  /** The kill was written from these fragments: count its lookups and a complete enrichment as enrich() does. */
  commit(): void;
}

// ---------------------------------------------------------------- http-facing sources

export interface ComponentHealth {
  healthy: boolean;
  message: string;
}

/** Each stage reports its own health; /health combines them (docs/API.md#routes). */
export type HealthCheck = () => ComponentHealth;

/** Why a fetch found no kill (zKB does not know the id, or ESI has no body for it): the 404's details. */
export interface KillMiss {
  missing: string;
}

/**
 * Fetch one killmail that is not in the store (zKB API + ESI), enriched, not stored nor broadcast.
 * Resolves the canonical JSON, or a miss (undefined: unknown, no reason given); rejects when the
 * upstream is unavailable, paused or busy.
 */
export type KillFetcher = (killmailId: number) => Promise<string | KillMiss | undefined>;

export interface WsStats {
  activeConnections: number;
  activeSubscriptions: number;
  subscribedSystems: number;
  subscribedCharacters: number;
  killsSentRealtime: number;
  killsSentPreload: number;
  startedAtMs: number;
}

// ---------------------------------------------------------------- push channels (SSE, webhooks)

/**
 * A streaming HTTP response as fan-out sees it (src/http adapts uWS). `write` queues the bytes
 * even when it returns false (socket backpressured); `pendingBytes` is what is queued and not yet
 * taken by the socket, so a slow reader can be dropped before it holds unbounded memory.
 */
export interface StreamSink {
  write(chunk: string): boolean;
  pendingBytes(): number;
  /** End the response (the client sees the stream close); idempotent. */
  close(): void;
}

/** Parsed SSE query filters (validated by src/http). */
export interface SseFilters {
  systemIds: readonly number[];
  characterIds: readonly number[];
  /** ISK; null: no value filter. */
  minValue: number | null;
  /** 0..90. */
  preloadDays: number;
}

export interface SseRequest {
  mode: 'standard' | 'enhanced';
  filters: SseFilters;
  ip: string;
  /** The `Last-Event-ID` header as a killmail id, undefined when absent or not an id. */
  lastEventId: number | undefined;
}

export type SseRefusal = { status: 429 | 503; message: string; details: Record<string, unknown> };

export interface SseService {
  /** Null when a new stream from `ip` is allowed now; otherwise why not (limits). */
  refuse(ip: string): SseRefusal | null;
  /** Start streaming to `sink` (headers already written); returns the function to call on disconnect. */
  open(req: SseRequest, sink: StreamSink): () => void;
  stats(): Record<string, number>;
}

/** A webhook subscription as the API shows it. */
export interface WebhookSubscription {
  id: string;
  subscriber_id: string;
  callback_url: string;
  system_ids: number[];
  character_ids: number[];
  enabled: boolean;
  consecutive_failures: number;
  has_secret: boolean;
  created_at: string;
  updated_at: string;
}

export interface NewWebhookSubscription {
  subscriberId: string;
  callbackUrl: string;
  systemIds: number[];
  characterIds: number[];
  secret: string | undefined;
}

/** Webhook subscriptions (src/fanout/webhooks) as the /api/v1/subscriptions routes use them. */
export interface WebhookService {
  /** A reason the callback URL may not be used (SSRF guard), or null. */
  checkCallback(url: URL): Promise<string | null>;
  create(sub: NewWebhookSubscription): WebhookSubscription;
  list(): WebhookSubscription[];
  /** Removes every subscription of that subscriber; returns how many. */
  removeSubscriber(subscriberId: string): number;
  /** Re-enable (resetting the failure count); false when no such subscription. */
  enable(id: string): boolean;
  stats(): Record<string, number>;
}

/** A subscription created, changed or deleted on one node, shared with the others in a cluster. */
export type SubscriptionChange = { kind: 'put'; row: WebhookRow } | { kind: 'delete'; id: string };

/** A webhook subscription row (store ↔ fanout/webhooks). */
export interface WebhookRow {
  id: string;
  subscriberId: string;
  callbackUrl: string;
  systemIds: number[];
  characterIds: number[];
  secret: string | null;
  enabled: boolean;
  consecutiveFailures: number;
  createdAtMs: number;
  updatedAtMs: number;
}

/** One pending delivery of one kill to one subscription. */
export interface OutboxRow {
  id: number;
  killmailId: number;
  systemId: number;
  attempts: number;
}

export interface OutboxSummary {
  subscriptionId: string;
  /** Rows not tried yet (they wait for the batch window or a full batch). */
  fresh: number;
  /** Earliest due time of any row, epoch ms. */
  nextDueMs: number;
}

/**
 * The durable webhook tables (src/store/push.ts). Outbox rows are inserted by the store's writer
 * in the transaction that stores their kill (OutboxPlanner); the rest runs on the main connection.
 */
export interface WebhookStore {
  subscriptions(): WebhookRow[];
  insertSubscription(row: WebhookRow): void;
  /** Insert or replace one subscription (a cluster peer's change). */
  upsertSubscription(row: WebhookRow): void;
  /** Delete one subscription and its pending deliveries; false when absent. */
  deleteSubscription(id: string): boolean;
  /** Deletes the subscriber's subscriptions and their pending deliveries; returns their ids. */
  deleteSubscriber(subscriberId: string): string[];
  setState(id: string, enabled: boolean, consecutiveFailures: number, nowMs: number): boolean;
  summary(): OutboxSummary[];
  summaryOf(subscriptionId: string): OutboxSummary | undefined;
  /** Up to `limit` rows due at `nowMs`, plus untried rows when `includeFresh`, oldest first. */
  due(subscriptionId: string, nowMs: number, includeFresh: boolean, limit: number): OutboxRow[];
  /** Make every pending row of a subscription due at `atMs` (re-enable). */
  reschedule(subscriptionId: string, atMs: number): void;
  killJson(killmailId: number): string | undefined;
  delivered(rowIds: readonly number[]): void;
  retry(rowIds: readonly number[], attempts: number, dueAtMs: number): void;
  pendingCount(): number;
}

/** Kills read back for an SSE `Last-Event-ID` resume, in the order they were published. */
export interface ResumeRow {
  killmailId: number;
  systemId: number;
  totalValue: number;
  characterIds: readonly number[];
  json: string;
}

export interface ResumeReader {
  /**
   * Kills stored after `killmailId` (store order, then id), skipping kills that were too old to
   * be published (`cutoffMs`, 0: none); undefined when that kill is not stored (pruned, unknown).
   */
  storedAfter(killmailId: number, cutoffMs: number, limit: number): ResumeRow[] | undefined;
}
