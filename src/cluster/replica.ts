// Edge side, store half: applies a batch of stream messages to this node's SQLite window, the
// stream position committed with the batch's last kills, then hands the new kills to the local
// bus. A restart resumes after the last committed position; whatever is applied twice (a crash
// between two runs of one batch, a replay, a new leader's repeat) is a `skipped` row and is not
// broadcast again: clients see each kill once.
import type { KillRecord } from '../core/killmail.js';
import type { BusKill, CursorValue, KillBus } from '../core/ports.js';
import type { ReplicatedKill } from './codec.js';

/** The store writer's surface the edge needs (structural: the store stage is not imported). */
export interface ReplicaStore {
  writeBatch(records: readonly KillRecord[], cursors?: readonly CursorValue[]): readonly string[];
  updateJson(killmailId: number, json: string, enriched: boolean): boolean;
  getCursor(name: string): string | undefined;
  setCursor(name: string, value: string): void;
}

export interface ReplicaStats {
  applied_seq: number;
  stored: number;
  skipped: number;
  replaced: number;
  names_updated: number;
  broadcast: number;
}

export interface ReplicaSink {
  /** Throws when the store refuses the batch: nothing of it is applied, the caller retries. */
  apply(items: readonly ReplicatedKill[], lastSeq: number): void;
  appliedSeq(): number;
  /** The stream was recreated (its tip is behind what we applied): start again from its start. */
  reset(): void;
  /** True while a batch from the stream is being written (the store's hooks ask). */
  applying(): boolean;
  stats(): ReplicaStats;
}

export function createReplicaSink(
  store: ReplicaStore,
  bus: KillBus,
  cursorName: string,
  /** The leader completed a stored kill's names: edges push `killmail_enriched` as one process does. */
  onNamesApplied?: (killmailId: number, json: string) => void,
): ReplicaSink {
  let applied = Number(store.getCursor(cursorName) ?? 0) || 0;
  const totals = { stored: 0, skipped: 0, replaced: 0, names_updated: 0, broadcast: 0 };
  const records: KillRecord[] = [];
  let inApply = false;

  function apply(items: readonly ReplicatedKill[], lastSeq: number): void {
    inApply = true;
    try {
      applyRuns(items, lastSeq);
    } finally {
      inApply = false;
    }
  }

  function applyRuns(items: readonly ReplicatedKill[], lastSeq: number): void {
    const cursor = [{ name: cursorName, value: String(lastSeq) }];
    // Name completions are updates of a stored row; kills and replacements go through the batch
    // writer. Runs keep the stream's order (a completion after its kill, a replacement after both).
    const publish: BusKill[] = [];
    let start = 0;
    for (let i = 0; i <= items.length; i++) {
      const item = items[i];
      if (item !== undefined && item.kind !== 'names') continue;
      // The last run carries the position (an empty run when the batch ends with a completion).
      if (i > start || item === undefined) writeRun(items, start, i, publish, item === undefined ? cursor : undefined);
      if (item !== undefined) {
        const { killmailId, json, enriched } = item.record;
        if (store.updateJson(killmailId, json, enriched)) {
          totals.names_updated++;
          if (enriched) onNamesApplied?.(killmailId, json);
        }
      }
      start = i + 1;
    }
    applied = lastSeq;
    if (publish.length > 0) {
      totals.broadcast += publish.length;
      bus.publish(publish);
    }
  }

  function writeRun(items: readonly ReplicatedKill[], from: number, to: number, publish: BusKill[], cursor?: readonly CursorValue[]): void {
    records.length = 0;
    for (let i = from; i < to; i++) records.push((items[i] as ReplicatedKill).record);
    const outcomes = store.writeBatch(records, cursor);
    for (let i = 0; i < outcomes.length; i++) {
      const item = items[from + i] as ReplicatedKill;
      const outcome = outcomes[i];
      if (outcome === 'stored') {
        totals.stored++;
        if (!item.older) publish.push(item.record);
      } else if (outcome === 'replaced') totals.replaced++;
      else totals.skipped++;
    }
  }

  return {
    apply,
    appliedSeq: () => applied,
    applying: () => inApply,
    reset() {
      applied = 0;
      store.setCursor(cursorName, '0');
    },
    stats: () => ({ applied_seq: applied, ...totals }),
  };
}
