// countBySystem(systemId, sinceMs): why the store counts from the killmails_by_system_time
// covering index instead of keeping per-(system, hour) count buckets.
//   candidate  SELECT count(*) over the (system_id, kill_time_ms) index range: exact, no write cost.
//   baseline   an hour-bucket table: sum of the full hours in the window plus an index count of the
//              partial first hour (still needed to be exact), and one upsert per (system, hour) per
//              write batch to maintain it.
//   node --import tsx bench/micro/store/count.bench.ts
import { MS_PER_HOUR } from '../../../src/core/clock.js';
import { openWriter } from '../../../src/store/open.js';
import { migrate } from '../../../src/store/migrations.js';

const HOT = 30000142; // a system with a large fight in the window
const NOW = Date.now();
const DAY = 24 * MS_PER_HOUR;
const db = openWriter(':memory:');
migrate(db);
db.exec(`CREATE TABLE system_hours (system_id INTEGER, hour INTEGER, kills INTEGER, PRIMARY KEY (system_id, hour)) WITHOUT ROWID`);
const ins = db.prepare('INSERT INTO killmails (killmail_id, system_id, kill_time_ms, stored_at_ms, json) VALUES (?, ?, ?, ?, ?)');
const bucket = db.prepare('INSERT INTO system_hours VALUES (?, ?, 1) ON CONFLICT (system_id, hour) DO UPDATE SET kills = kills + 1');

// 7 days over 5,000 systems (~300k kills) plus 5,000 kills in the hot system in the last day.
let id = 1;
const seed = db.transaction(() => {
  for (let i = 0; i < 300_000; i++, id++) {
    const t = NOW - Math.floor(Math.random() * 7 * DAY);
    const sys = 30_000_000 + (i % 5000);
    ins.run(id, sys, t, NOW, '{}');
    bucket.run(sys, Math.floor(t / MS_PER_HOUR));
  }
  for (let i = 0; i < 5000; i++, id++) {
    const t = NOW - Math.floor(Math.random() * DAY);
    ins.run(id, HOT, t, NOW, '{}');
    bucket.run(HOT, Math.floor(t / MS_PER_HOUR));
  }
});
seed();

const indexCount = db.prepare<[number, number], number>('SELECT count(*) FROM killmails WHERE system_id = ? AND kill_time_ms >= ?').pluck();
const rangeCount = db
  .prepare<[number, number, number], number>(
    'SELECT count(*) FROM killmails WHERE system_id = ? AND kill_time_ms >= ? AND kill_time_ms < ?',
  )
  .pluck();
const hoursSum = db
  .prepare<[number, number], number>('SELECT coalesce(sum(kills), 0) FROM system_hours WHERE system_id = ? AND hour >= ?')
  .pluck();

function bucketCount(systemId: number, sinceMs: number): number {
  const firstFull = Math.ceil(sinceMs / MS_PER_HOUR);
  return hoursSum.get(systemId, firstFull)! + rangeCount.get(systemId, sinceMs, firstFull * MS_PER_HOUR)!;
}

function timeUs(fn: () => number, rounds: number): { us: number; value: number } {
  let value = 0;
  for (let i = 0; i < 1000; i++) value = fn(); // warm
  const t = performance.now();
  for (let i = 0; i < rounds; i++) value = fn();
  return { us: ((performance.now() - t) * 1000) / rounds, value };
}

const since = NOW - DAY;
const rows = [];
for (const [label, sys] of [
  ['typical system', 30_000_007],
  ['hot system', HOT],
] as const) {
  const a = timeUs(() => indexCount.get(sys, since)!, 20_000);
  const b = timeUs(() => bucketCount(sys, since), 20_000);
  if (a.value !== b.value) throw new Error(`count mismatch ${a.value} != ${b.value}`);
  rows.push({ system: label, killsIn24h: a.value, 'index count µs': +a.us.toFixed(2), 'hour buckets µs': +b.us.toFixed(2) });
}

// Write-side cost of the buckets: one upsert per distinct (system, hour) in a 256-kill batch.
const writeRounds = 200;
const upserts = db.transaction(() => {
  for (let i = 0; i < 256; i++) bucket.run(30_000_000 + Math.floor(Math.random() * 5000), Math.floor(NOW / MS_PER_HOUR));
});
const t = performance.now();
for (let r = 0; r < writeRounds; r++) upserts();
const bucketUsPerKill = ((performance.now() - t) * 1000) / (writeRounds * 256);

console.log(`countBySystem over 24 h, ${id - 1} kills stored, node ${process.version}`);
console.table(rows);
console.log(`hour buckets add ${bucketUsPerKill.toFixed(2)} µs of write work per kill (one upsert each, in-memory DB)`);
db.close();
