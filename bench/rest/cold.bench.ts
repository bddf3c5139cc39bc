// A cold (uncached) `/kills/system` answer, old way against new, in one process on the same
// store file: the previous build (stored JSON read as one JS string per kill, then JsonBytes
// encoding each into the body) against the answer cache with nothing kept (the stored texts
// written straight into the answer's body, latin1 when ASCII). Interleaved rounds, timed in process
// CPU time (process.cpuUsage), so time the shared machine spends on other work is not counted.
// A second pair times the reader alone, the 50 texts of a system: the SQLite range read on the
// system index the store kept before it moved into memory (created here on a second connection)
// against the in-memory index and the rows by primary key (store/rows-by-id.ts).
//   node --import tsx bench/rest/cold.bench.ts [--systems 200] [--kills-per-system 50] [--limit 50]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fillStore } from './data.js';
import Database from 'better-sqlite3';
import { openStore } from '../../src/store/index.js';
import { DEFAULT_TUNING } from '../../src/store/open.js';
import { AnswerCache } from '../../src/http/answer-cache.js';
import { JsonBytes } from '../../src/http/json-bytes.js';
import { Counters } from '../../src/telemetry/index.js';
import { machineInfo } from '../common.js';

const { values: a } = parseArgs({
  options: {
    systems: { type: 'string', default: '200' },
    'kills-per-system': { type: 'string', default: '50' },
    limit: { type: 'string', default: '50' },
  },
});
const dir = mkdtempSync(join(tmpdir(), 'wk-cold-'));
const path = join(dir, 'cold.db');
const { systemIds } = fillStore({ path, systems: Number(a.systems), killsPerSystem: Number(a['kills-per-system']), seed: 7 });
const store = openStore({ path, retentionHours: 0, checkpointThread: false });
const limit = Number(a.limit);
const H = 3_600_000;
const cold = new AnswerCache({ reader: store.reader, counters: new Counters(), maxBytes: 0 });
const legacy = new Database(path);
// The store reader's own settings (store/open.ts), so only the read path differs.
legacy.pragma(`cache_size = ${-DEFAULT_TUNING.cacheKiB}`);
legacy.pragma(`mmap_size = ${DEFAULT_TUNING.mmapBytes}`);
legacy.exec('CREATE INDEX IF NOT EXISTS killmails_by_system_time ON killmails (system_id, kill_time_ms)');
const legacyTexts = legacy
  .prepare<[number, number, number], string>(
    'SELECT json FROM killmails WHERE system_id = ? AND kill_time_ms >= ? ORDER BY kill_time_ms DESC, killmail_id DESC LIMIT ?',
  )
  .pluck();

const candidates: Record<string, (systemId: number, iso: string) => number> = {
  'previous: string per kill + JsonBytes': (systemId, iso) => {
    const kills = store.reader.killsBySystem({ systemId, sinceMs: Date.now() - 24 * H, limit });
    return new JsonBytes()
      .raw('{"data":{"kills":')
      .array(kills)
      .raw(',"timestamp":"' + iso + '","cached":false},"timestamp":"' + iso + '"}')
      .toBuffer().length;
  },
  'now, cold: texts into one body': (systemId, iso) => cold.get(systemId, limit, 24, false, iso).body.length,
  'reader: SQL range read on a system index': (systemId) => legacyTexts.all(systemId, Date.now() - 24 * H, limit).length,
  'reader: in-memory index + rows by id': (systemId) =>
    store.reader.killsBySystem({ systemId, sinceMs: Date.now() - 24 * H, limit }).length,
};

const m = machineInfo();
console.log(
  `cold answer, ${systemIds.length} systems x ${limit} kills — ${m.nproc} cores, ${m.cpu}, node ${m.node}, commit ${m.commit}, ${m.date}`,
);
const results: Record<string, number[]> = {};
let bytes = 0;
for (let round = 0; round < 5; round++) {
  for (const [name, build] of Object.entries(candidates)) {
    const iso = new Date().toISOString();
    for (let i = 0; i < 200; i++) build(systemIds[i % systemIds.length]!, iso);
    const n = 2000;
    const t0 = process.cpuUsage();
    for (let i = 0; i < n; i++) {
      const size = build(systemIds[i % systemIds.length]!, iso);
      if (size > limit) bytes = size;
    }
    const cpu = process.cpuUsage(t0);
    (results[name] ??= []).push((cpu.user + cpu.system) / n);
  }
}
const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const [prev, now, sqlRead, memRead] = Object.values(results).map(median);
for (const [name, xs] of Object.entries(results))
  console.log(
    `${name.padEnd(42)} median ${median(xs).toFixed(1).padStart(7)} CPU µs per ${name.startsWith('reader') ? `${limit} texts` : `${Math.round(bytes / 1024)} KB answer`} (rounds: ${xs.map((x) => x.toFixed(0)).join(', ')})`,
  );
console.log(`cold now / previous: ${(now! / prev!).toFixed(2)} (below 1: faster)`);
console.log(`reader, in memory / SQL range read: ${(memRead! / sqlRead!).toFixed(2)}`);
legacy.close();
store.close();
rmSync(dir, { recursive: true, force: true });
