// The one batch writer (one writer owns the database: docs/ARCHITECTURE.md#the-shape). Every statement is prepared
// here, once; a batch is one transaction: one commit (one WAL append) per batch instead of per
// kill. See bench/micro/store/write.bench.ts. No JSON is parsed here: the pipeline hands over
// the routing columns and the canonical JSON text in each KillRecord.
//
// The same code runs on the writer thread (writer.worker.ts) when the store has one: there the
// in-memory indexes' changes (onIndexOps) and the changed systems are collected, and the main
// thread's writer applies them once the thread answers (writeBatchAsync).
import type { KillRecord } from '../core/killmail.js';
import type { ComponentHealth, CursorStore, CursorValue, KillWriteOutcome, KillWriter, OutboxPlan, OutboxPlanner } from '../core/ports.js';
import { WkError } from '../core/errors.js';
import { monoUs } from '../core/clock.js';
import type { Counters } from '../telemetry/index.js';
import type { Db } from './open.js';
import { createCharacterIndex, joinIds, type CharacterIndex } from './character-index.js';
import { createSystemIndex, type SystemIndex } from './system-index.js';
import { addDelta, createSystemCounts } from './system-counts.js';
import type { SystemVersions } from './system-versions.js';
import { SIDE_WRITES_MARK } from './side-writes.js';
import { createBatchEncoder, type BatchEncoder, type EncodedBatch, type WritableKill } from './batch-codec.js';

/** stored: new kill. skipped: id already stored. replaced: stored copy updated. invalid: dead-lettered. */
export type WriteOutcome = KillWriteOutcome;

export type CursorUpdate = CursorValue;

export interface DeadLetterEntry {
  source: string;
  reason: string;
  message: string;
  body?: Uint8Array | string;
}

export interface WriterStats {
  batches: number;
  stored: number;
  skipped: number;
  replaced: number;
  invalid: number;
  jsonUpdates: number;
  deadLetters: number;
  writeErrors: number;
  lastBatchUs: number;
  maxBatchUs: number;
  lastError: string | null;
}

/** The ingest stage's KillWriter (core/ports.ts), plus what only the store's owner uses. */
export interface StoreWriter extends CursorStore, KillWriter {
  /**
   * One transaction. `plan` is given only by the writer thread, which gets it from the main
   * thread's planner; otherwise the planner set with setOutbox() is asked here.
   */
  writeBatch(records: readonly WritableKill[], cursors?: readonly CursorUpdate[], plan?: OutboxPlan): WriteOutcome[];
  updateJson(killmailId: number, json: string, enriched: boolean): boolean;
  deadLetter(entry: DeadLetterEntry): void;
  stats(): WriterStats;
  health(): ComponentHealth;
  /** Epoch ms of the last committed write (0: none yet); retention checkpoints when idle. */
  lastWriteAtMs(): number;
  /** The webhook outbox's planner: its rows commit or roll back with the kills of each batch. */
  setOutbox(planner: OutboxPlanner): void;
  /** Stops the writer thread (after the batch it is writing); resolves at once without one. */
  stopThread(): Promise<void>;
}

/** A batch as the writer thread receives it (batch-codec.ts). */
export interface ThreadBatch {
  kills: EncodedBatch;
  cursors: readonly CursorUpdate[] | undefined;
  plan: OutboxPlan | undefined;
}

/**
 * The writer thread's answer: the outcomes, the indexes' changes in order (applied by
 * the main thread, which holds the records' ids), and the systems whose kills changed.
 */
export interface ThreadReply {
  outcomes: WriteOutcome[];
  ops: IndexOp[];
  systems: number[];
  us: number;
}

/** Runs batch transactions on another thread (writer-thread.ts). */
export interface BatchThread {
  run(batch: ThreadBatch): Promise<ThreadReply>;
  stop(): Promise<void>;
}

export interface WriterOptions {
  /** The in-memory per-character index (shared with the reader and retention). */
  characters?: CharacterIndex;
  /** The in-memory per-system index (shared with the reader and retention). */
  systems?: SystemIndex;
  /**
   * The writer thread's: each committed batch's index changes go here instead of into
   * `characters` and `systems` (the main thread applies them, ThreadReply.ops).
   */
  onIndexOps?: (ops: readonly IndexOp[]) => void;
  nowMs?: () => number;
  counters?: Counters;
  /** Records each batch's transaction time in µs (telemetry LatencyHistogram fits). */
  batchHistogram?: { recordUs(us: number): void };
  /** Bumped for every system whose stored kills change (the reader's systemVersion). */
  versions?: Pick<SystemVersions, 'bump'> & Partial<Pick<SystemVersions, 'absorbOwn'>>;
  /**
   * This process writes a file another process serves (`wkills backfill`): each batch also moves
   * the side-writes marker the server watches (side-writes.ts).
   */
  sideWriter?: boolean;
  /** Batches handed to writeBatchAsync run here (file databases with `dbWriterThread`). */
  thread?: BatchThread;
}

const MAX_MESSAGE_CHARS = 2000;

/** Cheap shape checks, so one bad record is dead-lettered instead of failing the batch. */
export function invalidReason(r: WritableKill): string | null {
  if (!Number.isSafeInteger(r.killmailId) || r.killmailId <= 0) return 'killmailId';
  if (!Number.isSafeInteger(r.systemId) || r.systemId <= 0) return 'systemId';
  if (!Number.isSafeInteger(r.killTimeMs)) return 'killTimeMs';
  if (!Number.isFinite(r.totalValue)) return 'totalValue';
  if (!Number.isSafeInteger(r.victimCharacterId) || r.victimCharacterId < 0) return 'victimCharacterId';
  if ((typeof r.json !== 'string' && !(r.json instanceof Uint8Array)) || r.json.length === 0) return 'json';
  if (!Array.isArray(r.characterIds)) return 'characterIds';
  for (const id of r.characterIds) if (!Number.isSafeInteger(id) || id <= 0) return 'characterIds';
  return null;
}

function prepareStatements(db: Db) {
  return {
    insertKill: db.prepare(
      `INSERT INTO killmails (killmail_id, system_id, kill_time_ms, total_value, npc, victim_character_id,
         enriched, stored_at_ms, character_ids, json) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, CAST(? AS TEXT))
       ON CONFLICT (killmail_id) DO NOTHING`,
    ),
    selectOld: db
      .prepare<[number], [number, number, string]>('SELECT system_id, kill_time_ms, character_ids FROM killmails WHERE killmail_id = ?')
      .raw(),
    updateKill: db.prepare(
      `UPDATE killmails SET system_id = ?, kill_time_ms = ?, total_value = ?, npc = ?, victim_character_id = ?,
         enriched = ?, character_ids = ?, json = CAST(? AS TEXT) WHERE killmail_id = ?`,
    ),
    // RETURNING the system: its cached answers hold the old text.
    updateJson: db
      .prepare<[string, number, number], number>('UPDATE killmails SET json = ?, enriched = ? WHERE killmail_id = ? RETURNING system_id')
      .pluck(),
    upsertCursor: db.prepare<[string, string, number]>(
      `INSERT INTO feed_cursors (name, value, updated_at_ms) VALUES (?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at_ms = excluded.updated_at_ms`,
    ),
    selectCursor: db.prepare<[string], string>('SELECT value FROM feed_cursors WHERE name = ?').pluck(),
    insertDead: db.prepare<[string, string, string, Buffer | string | null, number]>(
      'INSERT INTO dead_letters (source, reason, message, body, at_ms) VALUES (?, ?, ?, ?, ?)',
    ),
    // Planned on the main thread, possibly before the subscription was deleted there: a row
    // for a subscription that is gone is not inserted (the delete and this batch are serialised).
    insertOutbox: db.prepare<[string, number, number, number, string]>(
      `INSERT OR IGNORE INTO webhook_outbox (subscription_id, killmail_id, system_id, due_at_ms)
       SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM webhook_subscriptions WHERE id = ?)`,
    ),
  };
}

export interface IndexOp {
  /** The batch's record to index; -1: remove the kill (its system and the ids of `text`). */
  record: number;
  text: string;
  systemId: number;
  killTimeMs: number;
  killmailId: number;
}

/** Add one batch's outcomes to the running stats and the shared counters (once per batch, not per kill). */
function tally(s: WriterStats, outcomes: readonly WriteOutcome[], c: Counters | undefined): void {
  let stored = 0,
    skipped = 0,
    replaced = 0,
    invalid = 0;
  for (const o of outcomes) {
    if (o === 'stored') stored++;
    else if (o === 'skipped') skipped++;
    else if (o === 'replaced') replaced++;
    else invalid++;
  }
  s.batches++;
  s.stored += stored;
  s.skipped += skipped;
  s.replaced += replaced;
  s.invalid += invalid;
  s.deadLetters += invalid;
  if (c === undefined) return;
  c.inc('store.batches');
  if (stored > 0) c.inc('store.stored', stored);
  if (skipped > 0) c.inc('store.skipped', skipped);
  if (replaced > 0) c.inc('store.replaced', replaced);
  if (invalid > 0) c.inc('store.invalid', invalid);
}

export function createStoreWriter(db: Db, opts: WriterOptions = {}): StoreWriter {
  const nowMs = opts.nowMs ?? Date.now;
  const chars = opts.characters ?? createCharacterIndex();
  const systems = opts.systems ?? createSystemIndex();
  // Index changes are applied once the batch has committed, so a rolled-back batch leaves no
  // phantom entries: a record to add, or a stored kill to remove, per change.
  const indexOps: IndexOp[] = [];
  const counts = createSystemCounts(db);
  const st = prepareStatements(db);

  const s: WriterStats = {
    batches: 0,
    stored: 0,
    skipped: 0,
    replaced: 0,
    invalid: 0,
    jsonUpdates: 0,
    deadLetters: 0,
    writeErrors: 0,
    lastBatchUs: 0,
    maxBatchUs: 0,
    lastError: null,
  };

  function insertDeadRow(e: DeadLetterEntry, atMs: number): void {
    const body =
      e.body === undefined ? null : typeof e.body === 'string' ? e.body : Buffer.from(e.body.buffer, e.body.byteOffset, e.body.byteLength);
    st.insertDead.run(e.source, e.reason, e.message.slice(0, MAX_MESSAGE_CHARS), body, atMs);
  }

  function insertNew(r: WritableKill, i: number, charText: string, atMs: number, deltas: Map<number, number>): boolean {
    const info = st.insertKill.run(
      r.killmailId,
      r.systemId,
      r.killTimeMs,
      r.totalValue,
      r.npc ? 1 : 0,
      r.victimCharacterId,
      r.enriched ? 1 : 0,
      atMs,
      charText,
      r.json,
    );
    if (info.changes === 0) return false;
    indexOps.push({ record: i, text: '', systemId: r.systemId, killTimeMs: r.killTimeMs, killmailId: r.killmailId });
    addDelta(deltas, r.systemId, 1);
    opts.versions?.bump(r.systemId);
    return true;
  }

  function replaceOld(r: WritableKill, i: number, charText: string, old: [number, number, string], deltas: Map<number, number>): void {
    const [oldSystem, oldTime, oldText] = old;
    st.updateKill.run(
      r.systemId,
      r.killTimeMs,
      r.totalValue,
      r.npc ? 1 : 0,
      r.victimCharacterId,
      r.enriched ? 1 : 0,
      charText,
      r.json,
      r.killmailId,
    );
    // A zKB relabel keeps system, time and participants: skip the index churn in that common case.
    if (oldTime !== r.killTimeMs || oldText !== charText || oldSystem !== r.systemId) {
      indexOps.push({ record: -1, text: oldText, systemId: oldSystem, killTimeMs: oldTime, killmailId: r.killmailId });
      indexOps.push({ record: i, text: '', systemId: r.systemId, killTimeMs: r.killTimeMs, killmailId: r.killmailId });
    }
    if (oldSystem !== r.systemId) {
      addDelta(deltas, oldSystem, -1);
      addDelta(deltas, r.systemId, 1);
      opts.versions?.bump(oldSystem);
    }
    opts.versions?.bump(r.systemId);
  }

  function writeOne(r: WritableKill, i: number, atMs: number, deltas: Map<number, number>): WriteOutcome {
    const bad = r.invalid ?? invalidReason(r);
    if (bad !== null) {
      insertDeadRow(
        {
          source: 'store',
          reason: 'invalid_record',
          message: `invalid ${bad} in killmail ${String(r.killmailId)}`,
          body: typeof r.json === 'string' || r.json instanceof Uint8Array ? r.json : '',
        },
        atMs,
      );
      return 'invalid';
    }
    // The worker's text when it sent one (KillRecord.characterText is characterIds joined).
    const charText = r.characterText ?? joinIds(r.characterIds);
    if (!r.replace) return insertNew(r, i, charText, atMs, deltas) ? 'stored' : 'skipped';
    const old = st.selectOld.get(r.killmailId);
    if (old === undefined) return insertNew(r, i, charText, atMs, deltas) ? 'stored' : 'skipped';
    replaceOld(r, i, charText, old, deltas);
    return 'replaced';
  }

  function insertOutbox(records: readonly WritableKill[], outcomes: readonly WriteOutcome[], plan: OutboxPlan): void {
    for (let j = 0; j < plan.records.length; j++) {
      const i = plan.records[j] as number;
      if (outcomes[i] !== 'stored') continue;
      const r = records[i] as WritableKill;
      const sub = plan.subscriptionIds[j] as string;
      st.insertOutbox.run(sub, r.killmailId, r.systemId, plan.dueAtMs, sub);
    }
  }

  let planner: OutboxPlanner | undefined;
  // stored_at_ms is strictly increasing per batch: an SSE Last-Event-ID resume orders kills by
  // (stored_at_ms, killmail_id), which must not mix two batches committed in the same millisecond.
  let lastBatchAtMs = 0;
  const batchTx = db.transaction(
    (records: readonly WritableKill[], cursors: readonly CursorUpdate[] | undefined, plan: OutboxPlan | undefined): WriteOutcome[] => {
      const atMs = Math.max(nowMs(), lastBatchAtMs + 1);
      lastBatchAtMs = atMs;
      const deltas = new Map<number, number>();
      const outcomes = new Array<WriteOutcome>(records.length);
      for (let i = 0; i < records.length; i++) outcomes[i] = writeOne(records[i] as WritableKill, i, atMs, deltas);
      counts.apply(deltas);
      if (cursors !== undefined) for (const c of cursors) st.upsertCursor.run(c.name, c.value, atMs);
      if (opts.sideWriter === true) st.upsertCursor.run(SIDE_WRITES_MARK, String(atMs), atMs);
      if (plan !== undefined) insertOutbox(records, outcomes, plan);
      return outcomes;
    },
  );

  let lastWriteAtMs = 0;

  /** A failed write: counted, remembered for health(), and thrown as ERR_STORE_WRITE. */
  function failed(what: string, err: unknown): WkError {
    s.writeErrors++;
    s.lastError = `${what}: ${err instanceof Error ? err.message : String(err)}`;
    opts.counters?.inc('store.write_errors');
    return new WkError('ERR_STORE_WRITE', s.lastError, { cause: err });
  }

  function written(): void {
    s.lastError = null;
    lastWriteAtMs = nowMs();
  }

  /** Run a write; a SQLite failure becomes ERR_STORE_WRITE and marks the store unhealthy. */
  function guarded<T>(what: string, fn: () => T): T {
    let out: T;
    try {
      out = fn();
    } catch (err) {
      throw failed(what, err);
    }
    written();
    return out;
  }

  /** After a batch committed: its timing and outcomes in the stats, then the webhook rows reported. */
  function committed(records: readonly WritableKill[], outcomes: WriteOutcome[], us: number, plan: OutboxPlan | undefined): WriteOutcome[] {
    s.lastBatchUs = us;
    if (us > s.maxBatchUs) s.maxBatchUs = us;
    opts.batchHistogram?.recordUs(us);
    tally(s, outcomes, opts.counters);
    if (plan !== undefined) planner?.committed(plan, records as readonly KillRecord[], outcomes);
    return outcomes;
  }

  function applyIndexOps(records: readonly WritableKill[], ops: readonly IndexOp[]): void {
    for (const op of ops) {
      const r = op.record >= 0 ? records[op.record] : undefined;
      if (r !== undefined) {
        chars.add(r.characterIds, op.killTimeMs, op.killmailId);
        systems.add(op.systemId, op.killTimeMs, op.killmailId);
      } else if (op.record < 0) {
        chars.remove(op.text, op.killTimeMs, op.killmailId);
        systems.remove(op.systemId, op.killTimeMs, op.killmailId);
      }
    }
  }

  /** The writer thread's index changes and versions, applied here as writeBatch applies its own. */
  function applyReply(records: readonly KillRecord[], reply: ThreadReply): void {
    applyIndexOps(records, reply.ops);
    for (const systemId of reply.systems) opts.versions?.bump(systemId);
    // The thread's commits moved this connection's data_version: they are not another process's.
    opts.versions?.absorbOwn?.();
  }

  const thread = opts.thread;
  const encoder = thread === undefined ? undefined : createBatchEncoder();
  // One batch on the thread at a time: the encoder's buffer is the batch until its answer.
  let queue: Promise<unknown> = Promise.resolve();
  async function writeOnThread(t: BatchThread, records: readonly KillRecord[], cursors?: readonly CursorUpdate[]): Promise<WriteOutcome[]> {
    if (records.length === 0 && (cursors === undefined || cursors.length === 0)) return [];
    const plan = planner?.plan(records);
    let reply: ThreadReply;
    try {
      reply = await t.run({ kills: (encoder as BatchEncoder).encode(records, invalidReason), cursors, plan });
    } catch (err) {
      throw failed('writeBatch', err);
    }
    written();
    applyReply(records, reply);
    return committed(records, reply.outcomes, reply.us, plan);
  }
  function writeAsync(t: BatchThread, records: readonly KillRecord[], cursors?: readonly CursorUpdate[]): Promise<WriteOutcome[]> {
    const next = queue.then(() => writeOnThread(t, records, cursors));
    queue = next.catch(() => undefined);
    return next;
  }

  return {
    writeBatch(records, cursors, plan) {
      if (records.length === 0 && (cursors === undefined || cursors.length === 0)) return [];
      const t0 = monoUs();
      // Only the main thread's writer has a planner, and its records are KillRecords.
      const own = plan === undefined ? planner?.plan(records as readonly KillRecord[]) : undefined;
      // IMMEDIATE: take the write lock at BEGIN (waiting up to busy_timeout for another process,
      // e.g. `wkills sde import`) rather than upgrading a read mid-transaction, which WAL refuses with BUSY.
      indexOps.length = 0;
      const outcomes = guarded('writeBatch', () => batchTx.immediate(records, cursors, plan ?? own));
      if (opts.onIndexOps !== undefined) opts.onIndexOps(indexOps);
      else applyIndexOps(records, indexOps);
      indexOps.length = 0;
      return committed(records, outcomes, monoUs() - t0, own);
    },
    ...(thread !== undefined && { writeBatchAsync: (records, cursors) => writeAsync(thread, records, cursors) }),
    updateJson(killmailId, json, enriched) {
      const systemId = guarded('updateJson', () => st.updateJson.get(json, enriched ? 1 : 0, killmailId));
      const changed = systemId !== undefined;
      if (changed) {
        s.jsonUpdates++;
        opts.versions?.bump(systemId);
      }
      return changed;
    },
    deadLetter(entry) {
      guarded('deadLetter', () => insertDeadRow(entry, nowMs()));
      s.deadLetters++;
      opts.counters?.inc('store.dead_letters');
    },
    getCursor(name) {
      return st.selectCursor.get(name);
    },
    setCursor(name, value) {
      guarded('setCursor', () => st.upsertCursor.run(name, value, nowMs()));
    },
    stats: () => ({ ...s }),
    lastWriteAtMs: () => lastWriteAtMs,
    setOutbox(p) {
      planner = p;
    },
    async stopThread() {
      // After the batches queued so far: each still gets its answer.
      await queue;
      await thread?.stop();
    },
    health() {
      if (!db.open) return { healthy: false, message: 'database closed' };
      if (s.lastError !== null) return { healthy: false, message: `last write failed: ${s.lastError}` };
      return { healthy: true, message: `writable; ${s.batches} batches, ${s.stored} kills stored` };
    },
  };
}
