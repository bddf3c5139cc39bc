// WAL frames and CPU per kill for the killmails insert, with and without a SQLite index by
// system (killmails_by_system_time, which the store kept until migration 4 moved it into memory:
// src/store/system-index.ts). A file with 200,000 kills of ~6 KB (the size with names) over 8,000
// systems, then 60,000 more in batches; the WAL is not checkpointed during the measured part, so
// its size counts the frames written.
//   node --import tsx bench/micro/store/wal-frames.bench.ts [--kills 60000] [--batch 112] [--prefill 200000]
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openDatabase } from '../../../src/store/open.js';
import { migrate } from '../../../src/store/migrations.js';
import { machineInfo } from '../../common.js';

const { values: a } = parseArgs({
  options: {
    kills: { type: 'string', default: '60000' },
    batch: { type: 'string', default: '112' },
    prefill: { type: 'string', default: '200000' },
  },
});
const N = Number(a.kills);
const BATCH = Number(a.batch);
const PREFILL = Number(a.prefill);
const JSON_TEXT = 'x'.repeat(6000);

function run(withSystemIndex: boolean): string {
  const dir = mkdtempSync(join(tmpdir(), 'wk-frames-'));
  const path = join(dir, 'k.db');
  const o = openDatabase(path, (db) => void migrate(db));
  const db = o.writer;
  if (withSystemIndex) db.exec('CREATE INDEX killmails_by_system_time ON killmails (system_id, kill_time_ms)');
  const insert = db.prepare(
    `INSERT INTO killmails (killmail_id, system_id, kill_time_ms, total_value, npc, victim_character_id, enriched, stored_at_ms, character_ids, json)
     VALUES (?, ?, ?, 1e7, 0, ?, 1, ?, '1,2,3,4,5,6,7,8,9,10', ?)`,
  );
  const count = db.prepare(
    'INSERT INTO system_counts (system_id, kills) VALUES (?, 1) ON CONFLICT (system_id) DO UPDATE SET kills = kills + 1',
  );
  let seed = 12345;
  const rand = (): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const t0 = Date.now() - 3_600_000;
  const batch = db.transaction((from: number, n: number) => {
    for (let i = from; i < from + n; i++) {
      const systemId = 30_000_000 + Math.floor(rand() * 8000);
      insert.run(100_000_000 + i, systemId, t0 + i * 10, 90_000_000 + i, Date.now(), JSON_TEXT);
      count.run(systemId);
    }
  });
  for (let i = 0; i < PREFILL; i += 1000) batch(i, Math.min(1000, PREFILL - i));
  db.pragma('wal_checkpoint(TRUNCATE)');
  db.pragma('wal_autocheckpoint = 0');
  const cpu0 = process.cpuUsage();
  for (let i = PREFILL; i < PREFILL + N; i += BATCH) batch(i, Math.min(BATCH, PREFILL + N - i));
  const cpu = process.cpuUsage(cpu0);
  const walBytes = statSync(path + '-wal').size;
  const page = db.pragma('page_size', { simple: true }) as number;
  o.close();
  rmSync(dir, { recursive: true, force: true });
  const name = withSystemIndex ? 'with killmails_by_system_time' : 'without (the index in memory)';
  return `${name.padEnd(32)} ${(walBytes / (page + 24) / N).toFixed(2)} frames/kill  ${((cpu.user + cpu.system) / N).toFixed(1)} CPU µs/kill (system ${(cpu.system / N).toFixed(1)})`;
}

const m = machineInfo();
console.log(
  `WAL frames per kill, batches of ${BATCH} after ${PREFILL} kills — ${m.nproc} cores, ${m.cpu}, node ${m.node}, commit ${m.commit}`,
);
// The first round also pays for the kernel's first pages of each fresh file: read the later ones.
for (let round = 1; round <= 3; round++) for (const withIndex of [true, false]) console.log(`round ${round}: ${run(withIndex)}`);
