// `wkills backfill` flags: which units a run covers, and every bad combination reported at once.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { planBackfill } from '../../../src/cli/backfill.js';
import { testConfig } from '../../../src/config/index.js';

const config = testConfig({ r2z2Url: 'http://127.0.0.1:9' });
const NOW = Date.parse('2026-11-30T05:00:00Z');

test('--from/--to and --days name UTC days; the job is keyed by the history URL', async () => {
  const a = await planBackfill(config, { from: '2026-11-27', to: '2026-11-29' }, NOW);
  assert.deepEqual(
    a.units.map((u) => u.name),
    ['20261127', '20261128', '20261129'],
  );
  assert.equal(a.job, 'history:http://127.0.0.1:9');
  const b = await planBackfill(config, { days: '2' }, NOW);
  assert.deepEqual(
    b.units.map((u) => u.name),
    ['20261128', '20261129'],
    'finished days only, not today',
  );
  const c = await planBackfill(config, { from: '2026-11-29' }, NOW);
  assert.deepEqual(
    c.units.map((u) => u.name),
    ['20261129'],
  );
});

test('bad flags: every problem listed, exit code 2 (ERR_CONFIG_INVALID)', async () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{}, /give exactly one of --file PATH, --from DATE \[--to DATE\], --days N/],
    [{ from: '2026-11-01', days: '3' }, /give exactly one of/],
    [{ to: '2026-11-01' }, /--to needs --from/],
    [{ from: '2026-02-30' }, /--from: must be a date YYYY-MM-DD \(got "2026-02-30"\)/],
    [{ from: '2026-11-05', to: '2026-11-01' }, /--to is before --from/],
    [{ days: '1.5' }, /--days: must be a whole number from 1 to 3660/],
    [{ file: '/nonexistent/dump.jsonl' }, /--file: cannot read \/nonexistent\/dump\.jsonl/],
  ];
  for (const [opts, message] of cases) {
    await assert.rejects(planBackfill(config, opts, NOW), (err: Error & { code?: string }) => {
      assert.equal(err.code, 'ERR_CONFIG_INVALID');
      assert.match(err.message, message);
      return true;
    });
  }
});
