// CLI smoke test (issue 2): `wkills serve` refuses an invalid configuration before it starts
// anything, with exit code 2 and every problem listed, whether it came from a flag or from a
// WK_* environment variable.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnCli, waitFor } from '../fixtures/ingest-harness.js';

test('wkills serve with an invalid flag and an invalid WK_* variable exits 2 listing both', async (t) => {
  const cli = spawnCli(t, ['serve', '--port', 'not-a-port', '--db', ':memory:'], { WK_WORKERS: '0' });
  const ended = await cli.exited;
  assert.equal(ended.code, 2, `exit code (stderr: ${cli.stderr()})`);
  const err = cli.stderr();
  assert.match(err, /--port: must be a number \(got "not-a-port"\)/);
  assert.match(err, /WK_WORKERS: must be between 1 and 64 \(got "0"\)/);
  assert.doesNotMatch(err, /\n\s+at /, 'a configuration problem, not a stack trace');
  // Nothing was started: no "started" log line on stdout.
  await waitFor(
    () => cli.child.stdout?.readableEnded ?? true,
    5_000,
    () => 'stdout to close',
  );
  assert.doesNotMatch(cli.stdout(), /wanderer-kills started/);
});
