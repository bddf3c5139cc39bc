// kill -9 of the real CLI server (the dist build) with webhook deliveries pending — some already
// failed once and waiting for their retry, some still in their batch window — loses none: the
// outbox rows were committed with the kills, and after a restart every kill reaches the receiver
// exactly once.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { SYSTEMS } from '../../src/sim/index.js';
import { defer, startSim, tempDir } from '../fixtures/ingest-harness.js';
import { sleep, waitFor } from './sse-support.js';
import { Receiver } from './webhook-receiver.js';

const REPO = resolve(import.meta.dirname, '../..');
const CLI = join(REPO, 'dist/src/cli/main.js');

interface Server {
  child: ChildProcess;
  port: () => number;
  out: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function serve(t: TestContext, args: string[]): Server {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => (out += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) =>
    child.once('exit', (code, signal) => r({ code, signal })),
  );
  defer(t, async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  const port = (): number => Number(/"port":(\d+)[^\n]*"msg":"http listening"/.exec(out)?.[1] ?? 0);
  return { child, port, out: () => out, exited };
}

function pendingIds(file: string): number[] {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare('SELECT killmail_id FROM webhook_outbox ORDER BY killmail_id').pluck().all() as number[];
  } finally {
    db.close();
  }
}

test('kill -9 with webhook deliveries pending: all delivered after the restart, none twice', async (t) => {
  if (!existsSync(CLI)) {
    t.skip('dist/ is not built: run `npx tsc -p tsconfig.json` first');
    return;
  }
  const sim = await startSim(t);
  sim.publish(1); // sequence.json then names a real entry, where the reader starts
  const receiver = await new Receiver().start();
  defer(t, () => receiver.close());
  receiver.respond = () => 500;
  const file = join(tempDir(t), 'crash.db');
  const args = [
    'serve',
    '--source',
    'r2z2',
    '--r2z2-url',
    sim.url,
    '--esi-url',
    sim.url,
    '--zkb-url',
    sim.url,
    '--db',
    file,
    '--port',
    '0',
    '--host',
    '127.0.0.1',
    '--log-level',
    'info',
    '--enrich',
    'false',
    '--workers',
    '1',
    '--status-interval-seconds',
    '0',
    '--allow-private-webhooks',
    'true',
    '--webhook-batch-ms',
    '1500',
    // Twelve retries 2.5 s apart keep the first kills pending for ~30 s: the second ten reach the
    // outbox only after the R2Z2 reader's 6 s idle wait at the tip, later still on a loaded CI
    // machine, and with four retries the first ten were sometimes dropped before that.
    '--webhook-retry-ms',
    Array.from({ length: 12 }, () => '2500').join(','),
  ];

  const first = serve(t, args);
  await waitFor(() => first.port() > 0 || first.child.exitCode !== null, 30_000, 'first server listening');
  const base = `http://127.0.0.1:${first.port()}`;
  const created = await fetch(`${base}/api/v1/subscriptions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ subscriber_id: 'crash', callback_url: receiver.url('/crash'), system_ids: SYSTEMS.map((s) => s.id) }),
  });
  assert.equal(created.status, 201);
  // The reader starts at the feed's tip: kills published before it read sequence.json are not
  // its to read (a slow start on a loaded machine left only 11 of the 20 pending).
  await waitFor(() => first.out().includes('r2z2 starting at'), 30_000, 'the feed positioned at its tip');
  sim.publish(10);
  await waitFor(() => receiver.requests.length >= 1, 30_000, 'a first (failed) delivery attempt');
  sim.publish(10); // these wait in the 1.5 s batch window when the process dies
  await waitFor(() => existsSync(file) && pendingIds(file).length >= 20, 30_000, 'twenty pending deliveries committed').catch(
    (err: unknown) => {
      throw new Error(
        `${(err as Error).message}: ${existsSync(file) ? pendingIds(file).length : 0} pending, ${receiver.requests.length} POSTs; server log: ${first.out().slice(-1500)}`,
      );
    },
  );
  first.child.kill('SIGKILL');
  assert.equal((await first.exited).signal, 'SIGKILL');
  const pending = pendingIds(file);
  assert.ok(pending.length >= 20);
  t.diagnostic(`${pending.length} deliveries pending at the kill; ${receiver.requests.length} failed POSTs before it`);

  receiver.respond = () => 200;
  const second = serve(t, args);
  await waitFor(() => receiver.delivered('/crash').length >= pending.length, 30_000, 'every pending delivery after the restart');
  await sleep(1000); // a duplicate would show up within a retry delay
  const delivered = receiver.delivered('/crash');
  // A kill whose entry the first server had not stored yet is stored (and delivered) by the second.
  assert.equal(new Set(delivered).size, delivered.length, `none twice: ${JSON.stringify(delivered)}`);
  for (const id of pending) assert.ok(delivered.includes(id), `pending kill ${id} delivered`);
  assert.deepEqual(pendingIds(file), []);
  second.child.kill('SIGTERM');
  assert.equal((await second.exited).code, 0, second.out().slice(-2000));
});
