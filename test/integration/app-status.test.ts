// /status and /metrics on the running app (docs/API.md#routes): real figures from the stages, the original's
// {metrics, summary, timestamp} shape, and the Prometheus text exposition.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { feedPositioned, startApp, startSim, totals, waitFor } from '../fixtures/ingest-harness.js';

test('/status, /metrics and /metrics?format=prometheus report what the app did', async (t) => {
  const sim = await startSim(t);
  sim.publish(1);
  const app = await startApp(t, { source: 'r2z2', r2z2Url: sim.url, esiUrl: sim.url, db: ':memory:' }, { http: true });
  await feedPositioned(app);
  sim.publish(5);
  await waitFor(
    () => totals(app).stored >= 6,
    10_000,
    () => '6 kills stored',
  );
  const base = `http://127.0.0.1:${app.port()}`;
  for (let i = 0; i < 3; i++) assert.equal((await fetch(`${base}/ping`)).status, 200);

  const status = (await (await fetch(`${base}/status`)).json()) as {
    metrics: Record<string, Record<string, unknown>>;
    summary: Record<string, unknown>;
    timestamp: string;
  };
  assert.deepEqual(Object.keys(status).sort(), ['metrics', 'summary', 'timestamp']);
  for (const section of ['feed', 'pipeline', 'ingest', 'storage', 'websocket', 'api', 'process', 'enrich'])
    assert.ok(status.metrics[section], `section ${section}`);
  assert.equal(status.summary.killmails_stored, 6);
  assert.equal(status.metrics.ingest?.stored, 6);
  assert.equal(typeof status.summary.memory_usage_mb, 'number');
  assert.ok((status.summary.memory_usage_mb as number) > 0);
  assert.ok(
    (status.summary.api_requests_per_minute as number) >= 3,
    `requests per minute: ${String(status.summary.api_requests_per_minute)}`,
  );

  const json = (await (await fetch(`${base}/metrics`)).json()) as {
    metrics: Record<
      string,
      { type: string; unit: string; help: string; series: { labels: Record<string, string>; value?: number; count?: number }[] }
    >;
    timestamp: string;
  };
  assert.ok(json.timestamp);
  assert.equal(json.metrics.wkills_ingest_stored_total?.type, 'counter');
  assert.equal(json.metrics.wkills_ingest_stored_total?.series[0]?.value, 6);
  assert.equal(json.metrics.wkills_ingest_to_stored_seconds?.series[0]?.count, 6);
  assert.ok(
    json.metrics.wkills_http_requests_total?.series.some(
      (x) => x.labels.route === 'GET /ping' && x.labels.status === '200' && x.value === 3,
    ),
  );

  const prom = await fetch(`${base}/metrics?format=prometheus`);
  assert.match(prom.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
  const text = await prom.text();
  assert.match(text, /^# HELP wkills_ingest_stored_total Kills written to the store$/m);
  assert.match(text, /^# TYPE wkills_ingest_stored_total counter$/m);
  assert.match(text, /^wkills_ingest_stored_total 6$/m);
  assert.match(text, /^wkills_ingest_to_stored_seconds_bucket\{le="\+Inf"\} 6$/m);
  assert.match(text, /^wkills_ingest_to_stored_seconds_count 6$/m);
  assert.match(text, /^wkills_store_killmails 6$/m);
  assert.match(text, /^wkills_http_requests_total\{route="GET \/ping",status="200"\} 3$/m);
  assert.match(text, /^# TYPE process_cpu_seconds_total counter$/m);
  const viaAccept = await fetch(`${base}/metrics`, { headers: { accept: 'text/plain' } });
  assert.match(await viaAccept.text(), /^# TYPE wkills_ingest_stored_total counter$/m);

  const bad = await fetch(`${base}/metrics?format=xml`);
  assert.equal(bad.status, 400);
  assert.equal(((await bad.json()) as { code: string }).code, 'validation_error');
});

test('/ serves the live dashboard page, which reads /status', async (t) => {
  const app = await startApp(t, { source: 'none', db: ':memory:' }, { http: true });
  const res = await fetch(`http://127.0.0.1:${app.port()}/`);
  assert.equal(res.status, 200);
  assert.match(res.headers.get('content-type') ?? '', /^text\/html/);
  const html = await res.text();
  assert.match(html, /<title>wanderer-kills<\/title>/);
  assert.match(html, /fetch\('\/status'/);
  const head = await fetch(`http://127.0.0.1:${app.port()}/`, { method: 'HEAD' });
  assert.equal(head.status, 200);
});
