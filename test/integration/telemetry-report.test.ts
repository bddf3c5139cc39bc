// The periodic status report: one pino record per window whose figures are the window's (they
// add up to the traffic, never repeat lifetime totals), with a four-block human summary; and
// the logs themselves: JSON lines on a pipe, pino-pretty on a terminal (a pseudo-TTY from `script`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { defer, feedPositioned, spawnCli, startApp, startSim, tempDir, waitFor } from '../fixtures/ingest-harness.js';

interface Report {
  msg: string;
  status: {
    window_seconds: number;
    api: { requests: number; requests_per_minute: number; latency: { count: number; p99_ms: number } };
    processing: { kills_stored: number; ingest_to_stored: { count: number } };
    cache: Record<string, unknown>;
    system: { rss_mb: number; gc_collections: number; gc_pause_ms: number };
  };
}

test('the status report covers its own window: figures add up to the traffic, with four readable blocks', async (t) => {
  const reports: Report[] = [];
  const logger = pino(
    { level: 'info' },
    {
      write: (line: string) => {
        if (line.includes('"status"')) reports.push(JSON.parse(line) as Report);
      },
    },
  );
  const sim = await startSim(t);
  sim.publish(1);
  const app = await startApp(
    t,
    { source: 'r2z2', r2z2Url: sim.url, esiUrl: sim.url, db: ':memory:', statusIntervalSeconds: 1 },
    { http: true, logger },
  );
  await feedPositioned(app);
  await waitFor(
    () => reports.length >= 1,
    10_000,
    () => 'a first report',
  );
  // Nothing is published now: after the next report, every later window starts from `stored0`.
  const stored0 = app.counters.get('ingest.stored');
  const n0 = reports.length;
  await waitFor(
    () => reports.length > n0,
    10_000,
    () => 'a report after the quiet start',
  );
  const first = reports.length;
  const base = `http://127.0.0.1:${app.port()}`;
  for (let i = 0; i < 9; i++) assert.equal((await fetch(`${base}/ping`)).status, 200);
  sim.publish(6);
  await waitFor(
    () => app.counters.get('ingest.stored') >= 6,
    10_000,
    () => '6 kills stored',
  );
  const seen = reports.length;
  await waitFor(
    () => reports.length >= seen + 2,
    10_000,
    () => 'two more reports',
  );
  const after = reports.slice(first);
  const sum = (f: (r: Report) => number): number => after.reduce((n, r) => n + f(r), 0);
  assert.equal(
    sum((r) => r.status.api.requests),
    9,
    'each request counted in exactly one window',
  );
  assert.equal(
    sum((r) => r.status.api.latency.count),
    9,
  );
  assert.equal(
    sum((r) => r.status.processing.kills_stored),
    app.counters.get('ingest.stored') - stored0,
    'kills stored after the first report',
  );
  assert.equal(
    sum((r) => r.status.processing.ingest_to_stored.count),
    sum((r) => r.status.processing.kills_stored),
  );
  const busy = after.find((r) => r.status.api.requests > 0) as Report;
  assert.ok(busy.status.api.requests_per_minute > 0 && busy.status.window_seconds > 0.5 && busy.status.window_seconds < 3);
  assert.ok(busy.status.system.rss_mb > 0);
  assert.ok(Number.isInteger(busy.status.system.gc_collections) && busy.status.system.gc_pause_ms >= 0, 'GC figures per window');
  const lines = busy.msg.split('\n');
  assert.equal(lines.length, 5, busy.msg);
  assert.match(lines[1] ?? '', /^API: [\d.]+ req\/min \(\d+ requests\), \d+ errors \([\d.]+%\), p95 [\d.]+ ms, p99 [\d.]+ ms$/);
  assert.match(lines[2] ?? '', /^processing: [\d.]+ kills\/min stored/);
  assert.match(lines[3] ?? '', /^cache: name hit rate/);
  assert.match(lines[4] ?? '', /^system: RSS \d+ MB, heap \d+ MB, CPU [\d.]+%, event loop p99 [\d.]+ ms, GC \d+ collections \([\d.]+ ms\)/);
});

test('logs are JSON lines on a pipe', async (t) => {
  const cli = spawnCli(t, ['serve', '--source', 'none', '--port', '0', '--db', ':memory:', '--workers', '1']);
  await waitFor(
    () => cli.stdout().includes('wanderer-kills started'),
    30_000,
    () => `the start line: ${cli.stdout()} ${cli.stderr()}`,
  );
  const started = cli
    .stdout()
    .split('\n')
    .find((l) => l.includes('wanderer-kills started')) as string;
  const rec = JSON.parse(started) as Record<string, unknown>;
  assert.equal(rec.level, 30);
  assert.equal(rec.source, 'none');
  assert.equal(typeof rec.port, 'number');
});

test('logs are pino-pretty on a terminal, with the same fields', async (t) => {
  const probe = spawnSync('script', ['--version'], { encoding: 'utf8' });
  if (probe.error) return t.skip('script (util-linux) not installed: no pseudo-TTY to test with');
  const dir = tempDir(t);
  const pidFile = join(dir, 'pid');
  const out = join(dir, 'out');
  // `script` gives the command a pseudo-TTY; the pid file lets the test stop the server itself.
  const inner = `${process.execPath} --import tsx src/cli/main.ts serve --source none --port 0 --db :memory: --workers 1 & echo $! > ${pidFile}; wait`;
  const child = spawn('script', ['-qfec', inner, out], {
    cwd: join(import.meta.dirname, '..', '..'),
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TERM: 'xterm' },
    stdio: 'ignore',
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  defer(t, async () => {
    if (existsSync(pidFile)) {
      try {
        process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGTERM');
      } catch {
        // already gone
      }
    }
    await exited;
  });
  const text = (): string => (existsSync(out) ? readFileSync(out, 'utf8') : '');
  await waitFor(
    () => text().includes('wanderer-kills started'),
    30_000,
    () => `the start line on the TTY: ${text()}`,
  );
  const plain = text().replace(/\x1b\[[0-9;]*m/g, '');
  assert.doesNotMatch(plain, /^\{"level"/m, 'no JSON lines on a terminal');
  assert.match(plain, /INFO.*\(wkills\/\d+\): wanderer-kills started/);
  assert.match(plain, /^\s+source: "none"$/m);
  assert.match(plain, /^\s+port: \d+$/m);
});
