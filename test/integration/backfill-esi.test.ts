// The id → hash path of `wkills backfill` (no raw day file): every kill is fetched from the
// simulated ESI through the workers' shared limiter. A 420 (error limit spent) and the killmail
// bucket's 429s pause the fetches until the announced time; once ESI lets requests through
// again every kill is stored, once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { defer, openDbView, spawnCli, startSim, tempDir } from '../fixtures/ingest-harness.js';

const PER_DAY = 300;
// In-flight requests sent before the client read the limit answer may land just after it.
const IN_FLIGHT_SLACK_MS = 800;

interface Seen {
  status: number;
  atMs: number;
  waitMs: number;
}

test('id → hash backfill honours 420 and 429 pauses and stores every kill once ESI recovers', { timeout: 300_000 }, async (t) => {
  const seen: Seen[] = [];
  const sim = await startSim(t, {
    historyDays: 1,
    historyKillsPerDay: PER_DAY,
    historyRaw: false,
    // 60 fetches per 3 s window: the day takes several windows, each ending in 429s.
    killmailBucketTokens: 120,
    killmailBucketWindowSeconds: 3,
    faults: [{ route: 'esi', kind: 'status', status: 420, retryAfterSeconds: 3, count: 1 }],
    onRequest: ({ route, status, atMs, headers }) => {
      if (route !== 'esi.killmail') return;
      const s = Number(headers['x-esi-error-limit-reset'] ?? headers['retry-after'] ?? 0);
      seen.push({ status, atMs, waitMs: status === 420 || status === 429 ? s * 1000 : 0 });
    },
  });
  const day = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
  const file = join(tempDir(t), 'wk.db');
  const cli = spawnCli(t, [
    'backfill',
    '--from',
    day,
    '--r2z2-url',
    sim.url,
    '--esi-url',
    sim.url,
    '--db',
    file,
    '--enrich',
    'false',
    '--workers',
    '2',
    '--log-level',
    'warn',
    '--progress',
    'none',
    '--json',
  ]);
  const { code } = await cli.exited;
  assert.equal(code, 0, cli.stderr());
  const report = JSON.parse(cli.stdout().trim().split('\n').pop() ?? '{}') as Record<string, number>;
  assert.equal(report.failed, 0, JSON.stringify(report));
  assert.equal(report.stored, PER_DAY);

  const limited = seen.filter((s) => s.waitMs > 0);
  assert.ok(
    limited.some((s) => s.status === 420),
    'the 420 was served',
  );
  assert.ok(
    limited.some((s) => s.status === 429),
    'the bucket ran dry at least once',
  );
  for (const l of limited) {
    const early = seen.filter((s) => s.atMs > l.atMs + IN_FLIGHT_SLACK_MS && s.atMs < l.atMs + l.waitMs - 50);
    assert.equal(early.length, 0, `${early.length} killmail requests within the ${l.waitMs} ms pause after a ${l.status}`);
  }
  const ok = seen.filter((s) => s.status === 200).length;
  assert.ok(ok >= PER_DAY, `${ok} killmails served`);

  const view = openDbView(file);
  defer(t, () => view.close());
  assert.deepEqual(view.counts(), { total: PER_DAY, distinct: PER_DAY });
});
