// The Prometheus exposition checked by Prometheus's own tools: `promtool check metrics` lints the
// text of a simulator-fed app, and a real Prometheus server scrapes it on loopback, then answers
// rate() and histogram_quantile() queries with our numbers. Skips (with the reason) when the
// Debian `prometheus` package is not installed (scripts/install-system-deps.sh installs it).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { defer, startApp, tempDir, waitFor } from '../fixtures/ingest-harness.js';
import type { App } from '../../src/app.js';

function missing(tool: string): string | undefined {
  const r = spawnSync(tool, ['--version'], { encoding: 'utf8' });
  return r.error ? `${tool} not installed (scripts/install-system-deps.sh installs the Debian prometheus package)` : undefined;
}

async function freePort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((resolve) => srv.listen(0, '127.0.0.1', resolve));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

async function simApp(t: TestContext): Promise<{ app: App; base: string }> {
  const app = await startApp(t, { source: 'sim', simRate: 20, enrich: true, db: join(tempDir(t), 'kills.db'), workers: 1 }, { http: true });
  const base = `http://127.0.0.1:${app.port()}`;
  await waitFor(
    () => app.counters.get('ingest.stored') >= 10,
    30_000,
    () => 'the simulator feed to store 10 kills',
  );
  return { app, base };
}

test('promtool check metrics accepts our exposition', async (t) => {
  const why = missing('promtool');
  if (why) return t.skip(why);
  const { base } = await simApp(t);
  for (let i = 0; i < 3; i++) await (await fetch(`${base}/api/v1/kills/system/30000142?since_hours=1`)).arrayBuffer();
  await (await fetch(`${base}/nope`)).arrayBuffer();
  const text = await (await fetch(`${base}/metrics?format=prometheus`)).text();
  assert.match(
    text,
    /^wkills_esi_request_duration_seconds_bucket\{route="[a-z_]+",le="\+Inf"\} [1-9]\d*$/m,
    'ESI latency recorded in the workers reaches the exposition',
  );
  assert.match(text, /^wkills_worker_task_seconds_count [1-9]\d*$/m);
  assert.doesNotMatch(text, /^wkills_cluster_\w+[{ ]/m, 'a single process exports no cluster series (no zeros to alert on)');
  if (existsSync('/proc/thread-self')) {
    // Per-thread CPU from the kernel: the main thread and the pipeline worker have both worked.
    const seconds = (role: string): number =>
      Number(new RegExp(`^wkills_thread_cpu_seconds_total\\{role="${role}"\\} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
    assert.ok(seconds('main') > 0 && seconds('pipeline') > 0, `thread CPU main ${seconds('main')} s, pipeline ${seconds('pipeline')} s`);
    assert.match(text, /^wkills_thread_runqueue_wait_seconds_total\{role="main"\} \S+$/m);
  }
  const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
  assert.equal(r.status, 0, `promtool: ${r.stdout}${r.stderr}`);
  assert.equal(r.stdout.trim(), '', 'no lint findings');
});

test('a real Prometheus scrapes the service and answers rate() and histogram_quantile() with our numbers', async (t) => {
  const why = missing('prometheus');
  if (why) return t.skip(why);
  const { app, base } = await simApp(t);
  const pings = 7;
  for (let i = 0; i < pings; i++) assert.equal((await fetch(`${base}/ping`)).status, 200);

  const dir = tempDir(t);
  const promPort = await freePort();
  writeFileSync(
    join(dir, 'prometheus.yml'),
    [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      'scrape_configs:',
      '  - job_name: wkills',
      '    metrics_path: /metrics',
      '    params: { format: [prometheus] }',
      `    static_configs: [{ targets: ['127.0.0.1:${app.port()}'] }]`,
    ].join('\n'),
  );
  const proc = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${promPort}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  proc.stderr.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
  defer(
    t,
    () =>
      new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGTERM');
      }),
  );
  const api = `http://127.0.0.1:${promPort}/api/v1/query?query=`;
  const query = async (q: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> => {
    try {
      const res = (await (await fetch(api + encodeURIComponent(q))).json()) as {
        status: string;
        data: { result: { metric: Record<string, string>; value: [number, string] }[] };
      };
      return res.status === 'success' ? res.data.result : [];
    } catch {
      return [];
    }
  };
  const value = (r: { value: [number, string] }[]): number => Number(r[0]?.value[1] ?? NaN);

  // Exact: the pings we made, as Prometheus stored them.
  let got = NaN;
  await waitForAsync(
    async () => (got = value(await query('sum(wkills_http_requests_total{route="GET /ping",status="200"})'))) === pings,
    60_000,
    () => `Prometheus to report ${pings} pings (got ${got}); log: ${log}`,
  );
  // rate() of a counter needs two scrapes in the window; the simulator publishes 20 kills/s.
  let rate = NaN;
  await waitForAsync(
    async () => (rate = value(await query('rate(wkills_ingest_stored_total[1m])'))) > 0,
    60_000,
    () => `rate() of stored kills (got ${rate}); log: ${log}`,
  );
  // Our own rate over the next 10 s against Prometheus's over the same 10 s.
  const n0 = app.counters.get('ingest.stored');
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, 10_000));
  const ourRate = (app.counters.get('ingest.stored') - n0) / ((Date.now() - t0) / 1000);
  rate = value(await query('rate(wkills_ingest_stored_total[10s])'));
  assert.ok(ourRate > 0 && rate > ourRate * 0.5 && rate < ourRate * 1.5, `Prometheus rate ${rate}/s vs ours ${ourRate}/s`);
  let p99 = NaN;
  await waitForAsync(
    async () =>
      Number.isFinite(
        (p99 = value(await query('histogram_quantile(0.99, sum by (le) (rate(wkills_ingest_to_stored_seconds_bucket[1m])))'))),
      ),
    60_000,
    () => `histogram_quantile (got ${p99}); log: ${log}`,
  );
  // Our own HDR figure for the same histogram: Prometheus interpolates inside a bucket, so its
  // answer lies within the bucket bounds around our exact percentiles.
  const ours = app.counters.histogram('wkills_ingest_to_stored_seconds').summary();
  assert.ok(
    p99 > 0 && p99 <= 2.5 * Math.max(ours.max / 1e6, 0.0001),
    `Prometheus p99 ${p99} s vs our HDR p99 ${ours.p99 / 1e6} s, max ${ours.max / 1e6} s`,
  );
  const stored = value(await query('wkills_ingest_stored_total'));
  assert.ok(
    stored > 0 && stored <= app.counters.get('ingest.stored'),
    `Prometheus sees ${stored} stored, we counted ${app.counters.get('ingest.stored')}`,
  );
});

async function waitForAsync(check: () => Promise<boolean>, timeoutMs: number, what: () => string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 500));
  }
  assert.fail(`timed out waiting for ${what()}`);
}
