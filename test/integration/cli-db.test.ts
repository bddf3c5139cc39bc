// `wkills sde import` and `wkills db stats|vacuum` as an operator runs them: the real CLI in a
// child process on a real SQLite file.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnCli, tempDir } from '../fixtures/ingest-harness.js';

const FUZZWORK = fileURLToPath(new URL('../../../shared/fixtures/sde/fuzzwork/', import.meta.url));

test(
  'sde import loads the fixture ship types, groups and systems into the database',
  { skip: existsSync(FUZZWORK) ? false : `no ${FUZZWORK} (shared fixtures absent)` },
  async (t) => {
    const db = join(tempDir(t), 'sde.db');
    const cli = spawnCli(t, ['sde', 'import', FUZZWORK, '--db', db]);
    const ended = await cli.exited;
    assert.equal(ended.code, 0, cli.stderr());
    const result = JSON.parse(cli.stdout().trim()) as { types: number; groups: number; systems: number };
    assert.equal(result.types, 14_683, 'every type of the categories a victim or attacker can be');
    assert.equal(result.systems, 8490);
    assert.equal(result.groups, 1555);

    const stats = spawnCli(t, ['db', 'stats', '--db', db]);
    assert.equal((await stats.exited).code, 0, stats.stderr());
    const report = JSON.parse(stats.stdout()) as { killmails: number; schemaVersion: number };
    assert.equal(report.killmails, 0);
    assert.ok(report.schemaVersion >= 1);
  },
);

test('db with an unknown action and sde import of a missing source fail with a clear message', async (t) => {
  const db = join(tempDir(t), 'x.db');
  const bad = spawnCli(t, ['db', 'compact', '--db', db]);
  assert.equal((await bad.exited).code, 2);
  assert.match(bad.stderr(), /db action must be stats or vacuum/);
  const missing = spawnCli(t, ['sde', 'import', join(tempDir(t), 'nothing-here.csv'), '--db', db]);
  assert.equal((await missing.exited).code, 1);
  assert.match(missing.stderr(), /nothing-here\.csv/);
  assert.doesNotMatch(missing.stderr(), /\n\s+at /, 'a message, not a stack trace');
});

test(
  'sde import of invTypes.csv alone on a fresh database imports every type with a warning, no stack trace',
  { skip: existsSync(FUZZWORK) ? false : `no ${FUZZWORK} (shared fixtures absent)` },
  async (t) => {
    const db = join(tempDir(t), 'types-only.db');
    const cli = spawnCli(t, ['sde', 'import', join(FUZZWORK, 'invTypes.csv'), '--db', db]);
    assert.equal((await cli.exited).code, 0, cli.stderr());
    assert.doesNotMatch(cli.stderr(), /\n\s+at /);
    assert.match(cli.stderr(), /no groups known/);
    const result = JSON.parse(cli.stdout().trim()) as { types: number };
    assert.ok(result.types > 50_000, `${result.types} types`);
  },
);
