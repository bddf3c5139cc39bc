// Server process of the soak bench (bench/soak/run.ts): the real app (createApp: pipeline
// workers, store with retention, bus, WebSocket hub, REST) on a SQLite file, fed by a driver that
// pushes R2Z2 entries like a feed (honouring back-pressure). Entries are made from a pool of
// generated kills: each push copies a template and rewrites, in place and at fixed width, its
// killmail id and kill time, so a million distinct kills need no million generated objects and
// the driver's own memory stays constant (~20 MB of templates). Kill times are spread over the
// last --spread-hours, so retention (pruneNow every 5 s, beside its own timer) keeps deleting.
// IPC: {type:'listening', port} once up, {type:'progress', ...} every 2 s, {type:'done'} at the end.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../src/app.js';
import { testConfig } from '../../src/config/index.js';
import { epochUs, MS_PER_HOUR } from '../../src/core/clock.js';
import type { Feed, IngestSink } from '../../src/core/ports.js';
import { generateKill } from '../../src/sim/index.js';
import { silentLogger } from '../../src/telemetry/index.js';
import { LOOPBACK_LOAD_LIMITS } from '../common.js';

const opts = JSON.parse(process.argv[2] ?? '{}') as {
  kills: number;
  rate: number;
  spreadHours: number;
  retentionHours: number;
  workers: number;
  pool: number;
};
const TEMPLATE_FIRST_ID = 130_000_000;
const FIRST_ID = 200_000_000; // same width (9 digits) as the templates' ids

interface Template {
  bytes: Buffer;
  idAt: number[];
  timeAt: number;
}

function templates(n: number): Template[] {
  const now = Date.now();
  return Array.from({ length: n }, (_, i) => {
    const k = generateKill(i, { seed: 5, esiBaseUrl: 'http://127.0.0.1' }, now);
    const text = JSON.stringify({
      killmail_id: k.killmail_id,
      hash: k.hash,
      esi: k.esi,
      zkb: k.zkb,
      uploaded_at: Math.floor(now / 1000),
      sequence_id: i,
    });
    const id = String(TEMPLATE_FIRST_ID + i);
    const idAt: number[] = [];
    for (let at = text.indexOf(id); at >= 0; at = text.indexOf(id, at + 1)) idAt.push(at);
    return { bytes: Buffer.from(text, 'latin1'), idAt, timeAt: text.indexOf('"killmail_time":"') + 17 };
  });
}

function entry(t: Template, killmailId: number, killTimeMs: number): Uint8Array {
  const b = Buffer.from(t.bytes);
  const id = String(killmailId);
  for (const at of t.idAt) b.write(id, at, 'latin1');
  b.write(new Date(Math.floor(killTimeMs / 1000) * 1000).toISOString().replace('.000Z', 'Z'), t.timeAt, 'latin1');
  return b;
}

const dir = mkdtempSync(join(tmpdir(), 'wk-soak-'));
const config = testConfig({
  source: 'none',
  host: '127.0.0.1',
  port: 0,
  db: join(dir, 'soak.db'),
  workers: opts.workers,
  enrich: false,
  logLevel: 'silent',
  statusIntervalSeconds: 0,
  cutoffSeconds: 0,
  retentionHours: opts.retentionHours,
  ...LOOPBACK_LOAD_LIMITS,
});
let sink: IngestSink | undefined;
const feed: Feed = { name: 'soak', async start() {}, async stop() {}, ack() {}, stats: () => ({}) };
const app = await createApp(config, { logger: silentLogger(), feed: (s) => ((sink = s), feed) });
await app.start();
const rssStartedMB = Math.round(process.memoryUsage().rss / 1048576);
const pool = templates(opts.pool);
// The generator's garbage would otherwise sit in the heap until V8 feels like collecting it and
// be charged to the app's first samples (run.ts starts this process with --expose-gc).
(globalThis as { gc?: () => void }).gc?.();
process.send?.({ type: 'listening', port: app.port(), rssStartedMB, rssWithTemplatesMB: Math.round(process.memoryUsage().rss / 1048576) });
let pushed = 0;
const prune = setInterval(() => void app.store.retention.pruneNow(), 5000);
const progress = setInterval(() => {
  const r = app.results.stats();
  process.send?.({
    type: 'progress',
    pushed,
    stored: r['stored'] ?? 0,
    storeKills: app.store.stats().killmails,
    pruned: app.store.retention.stats().prunedKills,
    ws: app.fanout.stats(),
  });
}, 2000);

const spreadMs = opts.spreadHours * MS_PER_HOUR;
const t0 = performance.now();
// 'halt' (run.ts --max-seconds) ends the feed early; what was pushed still drains.
let target = opts.kills;
process.on('message', (m) => {
  if ((m as { type: string }).type === 'halt') target = Math.min(target, pushed);
});
for (let i = 0; i < target; i++) {
  while (opts.rate > 0 && performance.now() - t0 < (i * 1000) / opts.rate) await new Promise((r) => setTimeout(r, 1));
  // Spread evenly but interleaved: consecutive kills are far apart in time (a golden-ratio walk).
  const killTimeMs = Date.now() - ((i * 0.6180339887) % 1) * spreadMs;
  const body = entry(pool[i % pool.length]!, FIRST_ID + i, killTimeMs);
  const e = { source: 'r2z2' as const, body, seq: i + 1, receivedAtUs: epochUs(), cutoffMs: 0 };
  while (!sink!.push(e)) await sink!.whenWritable();
  pushed++;
}
// Kills already past the retention when they arrive are counted as expired, not stored.
const settled = (): number => {
  const s = app.results.stats();
  return (s['stored'] ?? 0) + (s['skipped'] ?? 0) + (s['expired'] ?? 0) + (s['failed'] ?? 0) + (s['invalid'] ?? 0);
};
while (settled() < pushed) await new Promise((r) => setTimeout(r, 50));
process.send?.({ type: 'done', pushed });
process.on('message', (m) => {
  if ((m as { type: string }).type !== 'stop') return;
  clearInterval(prune);
  clearInterval(progress);
  void app.stop().then(() => {
    rmSync(dir, { recursive: true, force: true });
    process.exit(0);
  });
});
