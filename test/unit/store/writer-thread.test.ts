// The store's writer thread (writer-thread.ts, writer.worker.ts): the same batches written through
// writeBatchAsync on the thread and through writeBatch on the main thread leave the same rows,
// counts, dead letters, cursors, character index and changed systems; webhook outbox rows commit
// with their kills and skip a subscription deleted meanwhile; a lock held past the thread's wait
// fails the batch with ERR_STORE_WRITE and the next one succeeds; the thread's own commits do not
// count as another process's (the REST answer cache keeps other systems' answers), a real other
// connection's do; stop() ends the thread and the file reopens with everything.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { KillRecord } from '../../../src/core/killmail.js';
import type { KillWriteOutcome, OutboxPlan } from '../../../src/core/ports.js';
import { hasCode } from '../../../src/core/errors.js';
import { readThreadTimes } from '../../../src/core/threads.js';
import { openStore, type Store } from '../../../src/store/index.js';
import { EXTERNAL_CHECK_MS } from '../../../src/store/system-versions.js';
import { Counters } from '../../../src/telemetry/index.js';
import { makeKill, tempDir } from './helpers.js';

const tmp = tempDir('wk-writer-thread-');
after(tmp.cleanup);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const A = 30000001;
const B = 30000002;
const C = 30000003;

/** Batches covering every outcome and index change the writer makes. */
function batches(): { records: KillRecord[]; cursor?: { name: string; value: string } }[] {
  const invalid = { ...makeKill({ id: 9 }), systemId: -1 };
  return [
    {
      records: [
        makeKill({ id: 1, systemId: A, characterIds: [90, 91] }),
        makeKill({ id: 2, systemId: A, characterIds: [92] }),
        makeKill({ id: 1, systemId: A, characterIds: [90, 91] }), // a duplicate in the batch
        makeKill({ id: 3, systemId: B, replace: true, characterIds: [93] }), // new, flagged replace
        invalid,
      ],
      cursor: { name: 'r2z2', value: '100' },
    },
    { records: [makeKill({ id: 2, systemId: A, characterIds: [92] })] }, // skipped
    {
      records: [
        // Relabelled in place (same time and characters), then moved to another system with new characters.
        makeKill({ id: 1, systemId: A, characterIds: [90, 91], replace: true, label: 'relabelled' }),
        makeKill({ id: 3, systemId: C, replace: true, characterIds: [90, 92], killTimeMs: Date.now() - 60_000 }),
        makeKill({ id: 4, systemId: C, characterIds: [91] }),
      ],
      cursor: { name: 'r2z2', value: '200' },
    },
  ];
}

function rows(store: Store): unknown {
  const db = new Database(store.path, { readonly: true });
  try {
    return {
      kills: db
        .prepare(
          'SELECT killmail_id, system_id, kill_time_ms, total_value, npc, victim_character_id, enriched, character_ids, json FROM killmails ORDER BY killmail_id',
        )
        .all(),
      counts: db.prepare('SELECT system_id, kills FROM system_counts ORDER BY system_id').all(),
      dead: db.prepare('SELECT source, reason, message FROM dead_letters ORDER BY id').all(),
      cursors: db.prepare("SELECT name, value FROM feed_cursors WHERE name = 'r2z2'").all(),
    };
  } finally {
    db.close();
  }
}

function characterAnswers(store: Store): Record<number, number[]> {
  const out: Record<number, number[]> = {};
  for (const c of [90, 91, 92, 93]) out[c] = store.reader.characterKillRows(c, 0, 100).map((k) => k.killmailId);
  return out;
}

test('writeBatchAsync on the thread writes exactly what writeBatch writes on the main thread', async () => {
  const sync = openStore({ path: join(tmp.dir, 'sync.db'), retentionHours: 0, writerThread: false, counters: new Counters() });
  const counters = new Counters();
  const threaded = openStore({ path: join(tmp.dir, 'thread.db'), retentionHours: 0, counters });
  assert.equal(sync.writer.writeBatchAsync, undefined, 'writerThread false: no threaded write');
  assert.equal(typeof threaded.writer.writeBatchAsync, 'function');
  const write = threaded.writer.writeBatchAsync as NonNullable<typeof threaded.writer.writeBatchAsync>;
  for (const b of batches()) {
    const cursors = b.cursor === undefined ? undefined : [b.cursor];
    const before = [A, B, C].map((s) => [sync.reader.systemVersion(s), threaded.reader.systemVersion(s)]);
    const expected = sync.writer.writeBatch(b.records, cursors);
    const got = await write(b.records, cursors);
    assert.deepEqual(got, expected);
    // The same systems changed on both sides (the REST answer cache's invalidation).
    const changed = [A, B, C].map((s, i) => [
      sync.reader.systemVersion(s) !== before[i]?.[0],
      threaded.reader.systemVersion(s) !== before[i]?.[1],
    ]);
    for (const [s, t] of changed) assert.equal(t, s);
  }
  assert.deepEqual(rows(threaded), rows(sync));
  assert.deepEqual(characterAnswers(threaded), characterAnswers(sync));
  assert.deepEqual(characterAnswers(threaded)[90], [1, 3], 'kill 3 moved to character 90');
  const { lastBatchUs: _a, maxBatchUs: _b, ...ts } = threaded.writer.stats();
  const { lastBatchUs: _c, maxBatchUs: _d, ...ss } = sync.writer.stats();
  assert.deepEqual(ts, ss);
  assert.equal(counters.get('store.stored'), 4);
  assert.equal(counters.get('store.invalid'), 1);
  // The thread is named for top -H and the per-role CPU metrics.
  const names = [...readThreadTimes('self').values()].map((t) => t.name);
  if (process.platform === 'linux') assert.ok(names.includes('wk-writer'), `threads: ${names.join(', ')}`);
  await sync.stop();
  await threaded.stop();
});

test('webhook outbox rows commit with their stored kills; a subscription deleted meanwhile gets none', async () => {
  const store = openStore({ path: join(tmp.dir, 'outbox.db'), retentionHours: 0 });
  const now = Date.now();
  for (const id of ['keep', 'gone'])
    store.webhooks.insertSubscription({
      id,
      subscriberId: 's',
      callbackUrl: 'https://example.com/hook',
      systemIds: [A],
      characterIds: [],
      secret: null,
      enabled: true,
      consecutiveFailures: 0,
      createdAtMs: now,
      updatedAtMs: now,
    });
  const reported: { plan: OutboxPlan; outcomes: readonly KillWriteOutcome[] }[] = [];
  store.writer.setOutbox({
    plan: (records) => ({
      records: records.flatMap((_, i) => [i, i]),
      subscriptionIds: records.flatMap(() => ['keep', 'gone']),
      dueAtMs: now + 1000,
    }),
    committed: (plan, _records, outcomes) => void reported.push({ plan, outcomes }),
  });
  const write = store.writer.writeBatchAsync as NonNullable<typeof store.writer.writeBatchAsync>;
  await write([makeKill({ id: 1, systemId: A })]);
  // Planned while 'gone' existed, written after it was deleted (the delete runs on the main connection).
  assert.equal(store.webhooks.deleteSubscription('gone'), true);
  await write([makeKill({ id: 1, systemId: A }), makeKill({ id: 2, systemId: A })]);
  const db = new Database(store.path, { readonly: true });
  const outbox = db
    .prepare('SELECT subscription_id, killmail_id, due_at_ms FROM webhook_outbox ORDER BY killmail_id, subscription_id')
    .all();
  db.close();
  assert.deepEqual(outbox, [
    { subscription_id: 'keep', killmail_id: 1, due_at_ms: now + 1000 },
    { subscription_id: 'keep', killmail_id: 2, due_at_ms: now + 1000 },
  ]);
  assert.deepEqual(
    reported.map((r) => r.outcomes),
    [['stored'], ['skipped', 'stored']],
    'committed() hears every batch with its outcomes',
  );
  await store.stop();
});

test('a lock held past the thread’s wait fails the batch with ERR_STORE_WRITE; the next batch succeeds', async () => {
  const path = join(tmp.dir, 'locked.db');
  const store = openStore({ path, retentionHours: 0, tuning: { busyTimeoutMs: 100 } });
  const write = store.writer.writeBatchAsync as NonNullable<typeof store.writer.writeBatchAsync>;
  await write([makeKill({ id: 1 })]);
  const holder = new Database(path);
  holder.exec('BEGIN IMMEDIATE');
  await assert.rejects(write([makeKill({ id: 2 })]), (err: unknown) => hasCode(err, 'ERR_STORE_WRITE') && /locked|busy/i.test(String(err)));
  assert.equal(store.writer.health().healthy, false);
  assert.match(store.writer.health().message, /last write failed/);
  holder.exec('COMMIT');
  holder.close();
  assert.deepEqual(await write([makeKill({ id: 2 })]), ['stored']);
  assert.equal(store.writer.health().healthy, true);
  assert.equal(store.writer.stats().writeErrors, 1);
  await store.stop();
});

test('the thread’s commits are not another process’s: other systems keep their versions; a real other writer moves them all', async () => {
  const path = join(tmp.dir, 'versions.db');
  const store = openStore({ path, retentionHours: 0 });
  const write = store.writer.writeBatchAsync as NonNullable<typeof store.writer.writeBatchAsync>;
  await write([makeKill({ id: 1, systemId: A })]);
  await sleep(EXTERNAL_CHECK_MS + 20);
  const b0 = store.reader.systemVersion(B);
  const a0 = store.reader.systemVersion(A);
  await write([makeKill({ id: 2, systemId: A })]);
  await sleep(EXTERNAL_CHECK_MS + 20);
  assert.notEqual(store.reader.systemVersion(A), a0, 'the written system changed');
  assert.equal(store.reader.systemVersion(B), b0, 'another system did not');
  const other = new Database(path);
  other.prepare("INSERT INTO feed_cursors (name, value, updated_at_ms) VALUES ('x', '1', 0)").run();
  other.close();
  await sleep(EXTERNAL_CHECK_MS + 20);
  assert.notEqual(store.reader.systemVersion(B), b0, 'another connection’s commit changes every system');
  await store.stop();
});

test('stop() ends the thread after its last batch; the file reopens with every kill and cursor', async () => {
  const path = join(tmp.dir, 'reopen.db');
  const store = openStore({ path, retentionHours: 0 });
  const write = store.writer.writeBatchAsync as NonNullable<typeof store.writer.writeBatchAsync>;
  const pending = [write([makeKill({ id: 1, characterIds: [90] })]), write([makeKill({ id: 2 })], [{ name: 'r2z2', value: '7' }])];
  await store.stop();
  assert.deepEqual(await Promise.all(pending), [['stored'], ['stored']]);
  await assert.rejects(write([makeKill({ id: 3 })]), (err: unknown) => hasCode(err, 'ERR_STORE_WRITE'));
  const again = openStore({ path, retentionHours: 0, writerThread: false });
  assert.equal(again.stats().killmails, 2);
  assert.equal(again.cursors.getCursor('r2z2'), '7');
  assert.deepEqual(
    again.reader.characterKillRows(90, 0, 10).map((k) => k.killmailId),
    [1],
  );
  again.close();
});
