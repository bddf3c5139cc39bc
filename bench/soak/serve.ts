// Server process of the soak bench (bench/soak/run.ts): the real app (createApp: pipeline
// workers, store with retention, bus, WebSocket hub, REST) on a SQLite file. Its feed reads
// length-prefixed R2Z2 entries from a Unix socket written by the feed process (feed.ts), so the
// entry generator's memory is not in this process's RSS; reading pauses while the pipeline is
// full, like a real feed honouring back-pressure. Retention runs pruneNow every 5 s beside its
// own timer. IPC: {type:'listening', port, feedPath} once up, {type:'progress', ...} every 2 s,
// {type:'done', pushed} once the feed has ended and every entry pushed is settled.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../../src/app.js';
import { testConfig } from '../../src/config/index.js';
import { epochUs } from '../../src/core/clock.js';
import type { Feed, IngestSink } from '../../src/core/ports.js';
import { silentLogger } from '../../src/telemetry/index.js';
import { LOOPBACK_LOAD_LIMITS } from '../common.js';

const opts = JSON.parse(process.argv[2] ?? '{}') as { retentionHours: number; workers: number; config: Record<string, unknown> };

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
  ...opts.config,
});
let sink: IngestSink | undefined;
const feed: Feed = { name: 'soak', async start() {}, async stop() {}, ack() {}, stats: () => ({}) };
const app = await createApp(config, { logger: silentLogger(), feed: (s) => ((sink = s), feed) });
await app.start();

let pushed = 0;
/** Push every whole frame of `buf` from `at`; returns where the unread rest starts, and whether the pipeline filled. */
function pushFrames(buf: Buffer, at: number): { at: number; full: boolean } {
  while (at + 4 <= buf.length) {
    const len = buf.readUInt32BE(at);
    if (at + 4 + len > buf.length) break;
    const e = { source: 'r2z2' as const, body: buf.subarray(at + 4, at + 4 + len), seq: pushed + 1, receivedAtUs: epochUs(), cutoffMs: 0 };
    if (!sink!.push(e)) return { at, full: true };
    pushed++;
    at += 4 + len;
  }
  return { at, full: false };
}

async function read(socket: Socket): Promise<void> {
  let rest = Buffer.alloc(0);
  for await (const chunk of socket) {
    const buf = rest.length > 0 ? Buffer.concat([rest, chunk as Buffer]) : (chunk as Buffer);
    let r = pushFrames(buf, 0);
    while (r.full) {
      await sink!.whenWritable(); // for-await does not read the socket meanwhile: back-pressure
      r = pushFrames(buf, r.at);
    }
    rest = Buffer.from(buf.subarray(r.at)); // the unread tail of a frame; the chunk itself is not kept
  }
}

const feedPath = join(dir, 'feed.sock');
const fed = new Promise<void>((resolve, reject) => {
  const server = createServer((socket) => {
    server.close();
    read(socket).then(resolve, reject);
  });
  server.listen(feedPath);
});
const rssStartedMB = Math.round(process.memoryUsage().rss / 1048576);
process.send?.({ type: 'listening', port: app.port(), feedPath, rssStartedMB });

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

await fed;
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
