// docs/OPERATIONS.md's metric reference is the registry's (regenerate it with
// `wkills metrics docs --write docs/OPERATIONS.md`); the Prometheus config and alert rules pass
// promtool; every metric name the alerts and the Grafana dashboard use exists.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Counters, Exposition, METRICS, initHistograms } from '../../src/telemetry/index.js';
import { withMetricsDoc } from '../../src/telemetry/metrics-doc.js';

const ROOT = join(import.meta.dirname, '..', '..');
const read = (p: string): string => readFileSync(join(ROOT, p), 'utf8');

test("docs/OPERATIONS.md lists exactly the registry's families", () => {
  const doc = read('docs/OPERATIONS.md');
  assert.equal(doc, withMetricsDoc(doc), 'the metric reference is stale: run `wkills metrics docs --write docs/OPERATIONS.md`');
  for (const name of METRICS.families.keys()) assert.ok(doc.includes(`\`${name}\``), name);
});

test('the scrape config and alert rules pass promtool', (t) => {
  const probe = spawnSync('promtool', ['--version']);
  if (probe.error) return t.skip('promtool not installed (scripts/install-system-deps.sh installs the Debian prometheus package)');
  for (const args of [
    ['check', 'config', 'docs/prometheus/prometheus.yml'],
    ['check', 'rules', 'docs/prometheus/alerts.yml'],
  ]) {
    const r = spawnSync('promtool', args, { cwd: ROOT, encoding: 'utf8' });
    assert.equal(r.status, 0, `promtool ${args.join(' ')}: ${r.stdout}${r.stderr}`);
  }
});

test('alerts and the Grafana dashboard use only names the service exports', async () => {
  await initHistograms();
  const exported = new Set<string>();
  const text = await new Exposition({ counters: new Counters() }).text();
  for (const m of text.matchAll(/^# TYPE (\S+) (\w+)$/gm)) {
    exported.add(m[1] as string);
    if (m[2] === 'histogram') for (const s of ['_bucket', '_sum', '_count']) exported.add(`${m[1] as string}${s}`);
  }
  const dashboard = JSON.parse(read('docs/grafana-dashboard.json')) as { panels: { title: string; targets: { expr: string }[] }[] };
  assert.ok(dashboard.panels.length >= 12);
  const exprs = [
    ...dashboard.panels.flatMap((p) => p.targets.map((x) => x.expr)),
    ...read('docs/prometheus/alerts.yml')
      .split('\n')
      .filter((l) => l.includes('expr:')),
  ];
  for (const expr of exprs) {
    for (const m of expr.matchAll(/\b((?:wkills|process|nodejs)_[a-z0-9_]+)/g))
      assert.ok(exported.has(m[1] as string), `${m[1] as string} (in ${expr}) is not exported`);
  }
});
