// Store write throughput, racing in one process, each case on a fresh file with the same
// pragmas (WAL, synchronous=NORMAL):
//   baseline   one autocommit INSERT per kill (killmails row only: less work per kill than ours),
//              what a user would write first;
//   baseline, same rows  the same rows as writeBatch (kill, character index, count), each
//              statement autocommitted: the equal-work comparison;
//   writeBatch one transaction per 256 kills, with the 10-row character index and system counts,
//              checkpoints by the writer itself (wal_autocheckpoint);
//   + thread   the same with checkpoints on the store's worker thread (openStore().start()).
// Only the store call is timed (building the records is the pipeline's work). Also measures
// how long one retention batch of 500 deletes blocks the event loop.
//   node --import tsx bench/micro/store/write.bench.ts [seconds per case, default 3]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import type { KillRecord } from '../../../src/core/killmail.js';
import { openDatabase } from '../../../src/store/open.js';
import { migrate } from '../../../src/store/migrations.js';
import { createStoreWriter } from '../../../src/store/writer.js';
import { createRetention } from '../../../src/store/retention.js';
import { openStore } from '../../../src/store/index.js';

const BASELINE_CHARACTER_TABLE = `CREATE TABLE IF NOT EXISTS kill_characters (
  character_id INTEGER NOT NULL, kill_time_ms INTEGER NOT NULL, killmail_id INTEGER NOT NULL,
  PRIMARY KEY (character_id, kill_time_ms, killmail_id)) WITHOUT ROWID`;

const SECONDS = Number(process.argv[2] ?? 3);
const BATCH = 256;
const JSON_BYTES = 2048;
const CHARACTERS_PER_KILL = 10;
const CHARACTER_POOL = 200_000;

let nextId = 1;
function makeRecord(killTimeMs: number): KillRecord {
  const id = nextId++;
  const ids = new Set<number>();
  for (let i = 0; i < CHARACTERS_PER_KILL; i++) ids.add(90_000_000 + ((id * 7919 + i * 104_729) % CHARACTER_POOL));
  const characterIds = [...ids];
  const head = `{"killmail_id":${id},"kill_time":"${new Date(killTimeMs).toISOString()}","system_id":${30_000_000 + (id % 5000)},"pad":"`;
  const json = head + 'x'.repeat(JSON_BYTES - head.length - 2) + '"}';
  return {
    killmailId: id,
    systemId: 30_000_000 + (id % 5000),
    killTimeMs,
    characterIds,
    victimCharacterId: characterIds[0] ?? 0,
    totalValue: 1e7,
    npc: false,
    json,
    replace: false,
    enriched: true,
    receivedAtUs: 0,
  };
}

const batchOf = (now: number): KillRecord[] => Array.from({ length: BATCH }, () => makeRecord(now));

function pct(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

interface Row {
  case: string;
  kills: number;
  killsPerSec: number;
  'p50 ms/256': number;
  'p99 ms/256': number;
  'max ms/256': number;
}

/** Time `write(batch)` until SECONDS of store time have been spent; the batch is built untimed. */
async function race(name: string, write: (batch: KillRecord[]) => void, between?: () => Promise<void>): Promise<Row> {
  const stepsMs: number[] = [];
  let spentMs = 0;
  let kills = 0;
  while (spentMs < SECONDS * 1000) {
    const batch = batchOf(Date.now());
    const t = performance.now();
    write(batch);
    const ms = performance.now() - t;
    spentMs += ms;
    stepsMs.push(ms);
    kills += batch.length;
    if (between !== undefined) await between();
  }
  stepsMs.sort((a, b) => a - b);
  return {
    case: name,
    kills,
    killsPerSec: Math.round((kills * 1000) / spentMs),
    'p50 ms/256': +pct(stepsMs, 50).toFixed(2),
    'p99 ms/256': +pct(stepsMs, 99).toFixed(2),
    'max ms/256': +(stepsMs.at(-1) ?? 0).toFixed(2),
  };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'wk-store-bench-'));
  try {
    const rows: Row[] = [];
    {
      const o = openDatabase(join(dir, 'baseline.db'), (db) => void migrate(db));
      const stmt = o.writer.prepare(
        'INSERT INTO killmails (killmail_id, system_id, kill_time_ms, total_value, npc, victim_character_id, enriched, stored_at_ms, json) VALUES (?,?,?,?,?,?,?,?,?)',
      );
      rows.push(
        await race('baseline: autocommit INSERT per kill', (batch) => {
          for (const r of batch)
            stmt.run(r.killmailId, r.systemId, r.killTimeMs, r.totalValue, 0, r.victimCharacterId, 1, r.killTimeMs, r.json);
        }),
      );
      o.close();
    }
    {
      const o = openDatabase(join(dir, 'baseline-same.db'), (db) => void migrate(db));
      const kill = o.writer.prepare(
        'INSERT INTO killmails (killmail_id, system_id, kill_time_ms, total_value, npc, victim_character_id, enriched, stored_at_ms, character_ids, json) VALUES (?,?,?,?,?,?,?,?,?,?)',
      );
      // The plain way to index characters: a SQLite table (ours is in memory, character-index.ts).
      o.writer.exec(BASELINE_CHARACTER_TABLE);
      const ch = o.writer.prepare('INSERT OR IGNORE INTO kill_characters (character_id, kill_time_ms, killmail_id) VALUES (?,?,?)');
      const cnt = o.writer.prepare(
        'INSERT INTO system_counts (system_id, kills) VALUES (?, 1) ON CONFLICT (system_id) DO UPDATE SET kills = kills + 1',
      );
      rows.push(
        await race('baseline, same rows, autocommit each', (batch) => {
          for (const r of batch) {
            kill.run(
              r.killmailId,
              r.systemId,
              r.killTimeMs,
              r.totalValue,
              0,
              r.victimCharacterId,
              1,
              r.killTimeMs,
              r.characterIds.join(','),
              r.json,
            );
            for (const c of r.characterIds) ch.run(c, r.killTimeMs, r.killmailId);
            cnt.run(r.systemId);
          }
        }),
      );
      o.close();
    }
    {
      const o = openDatabase(join(dir, 'batch.db'), (db) => void migrate(db));
      const w = createStoreWriter(o.writer);
      rows.push(await race(`writeBatch x${BATCH}, checkpoints on writer`, (batch) => void w.writeBatch(batch)));
      o.close();
    }
    {
      const store = openStore({ path: join(dir, 'thread.db'), retentionHours: 0 });
      store.start();
      // Yield between batches as the real main thread does, so the thread's reports arrive.
      rows.push(
        await race(
          `writeBatch x${BATCH}, checkpoint thread`,
          (batch) => void store.writer.writeBatch(batch),
          () => new Promise((resolve) => setImmediate(resolve)),
        ),
      );
      const cp = store.report().checkpointer;
      await store.stop();
      console.log(
        `checkpoint thread: ${cp?.passive ?? 0} passive, ${cp?.busy ?? 0} busy, longest ${(cp?.maxCheckpointMs ?? 0).toFixed(1)} ms (off the main thread)`,
      );
    }
    console.log(
      `store write: ${JSON_BYTES} B JSON + ${CHARACTERS_PER_KILL} character ids per kill, ${SECONDS} s of store time per case,` +
        ` node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}`,
    );
    console.table(rows);
    const base = rows[0]?.killsPerSec ?? 1;
    const same = rows[1]?.killsPerSec ?? 1;
    for (const r of rows.slice(2)) {
      console.log(
        `${r.case}: ${(r.killsPerSec / base).toFixed(2)}x baseline, ${(r.killsPerSec / same).toFixed(2)}x same-rows baseline (kills/s)`,
      );
    }
    await pruneBench(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function seedOld(path: string): ReturnType<typeof openDatabase> {
  const o = openDatabase(path, (db) => void migrate(db));
  const w = createStoreWriter(o.writer);
  const old = Date.now() - 30 * 86_400_000;
  for (let b = 0; b < 40; b++) w.writeBatch(batchOf(old));
  return o;
}

/** Retention: a fixed 500-row batch against the default time-sized batches (targetBatchMs 4). */
async function pruneBench(dir: string): Promise<void> {
  const fixed = seedOld(join(dir, 'prune-fixed.db'));
  const r = createRetention({ db: fixed.writer, retentionHours: 24, batchSize: 500 });
  const times: number[] = [];
  const cutoff = Date.now() - 86_400_000;
  for (;;) {
    const t = performance.now();
    const n = r.pruneBatch(cutoff, 500);
    times.push(performance.now() - t);
    if (n < 500) break;
  }
  times.sort((a, b) => a - b);
  console.log(
    `retention, fixed 500-row batches: ${r.stats().prunedKills} kills in ${times.length} batches; loop blocked per batch` +
      ` p50 ${pct(times, 50).toFixed(2)} ms, max ${(times.at(-1) ?? 0).toFixed(2)} ms`,
  );
  fixed.close();

  const sized = seedOld(join(dir, 'prune-sized.db'));
  const a = createRetention({ db: sized.writer, retentionHours: 24 });
  const t0 = performance.now();
  await a.pruneNow();
  const st = a.stats();
  console.log(
    `retention, time-sized batches: ${st.prunedKills} kills in ${st.batches} batches over ${(performance.now() - t0).toFixed(0)} ms;` +
      ` longest batch ${(st.maxBatchUs / 1000).toFixed(2)} ms`,
  );
  sized.close();
}

await main();
