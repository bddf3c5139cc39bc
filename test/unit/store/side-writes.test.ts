// A second process writing a served file (`wkills backfill` beside `wkills serve`): its kills
// reach the server's in-memory indexes (characters and systems), each once, while the server
// keeps writing its own.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openStore } from '../../../src/store/index.js';
import { createCharacterIndex } from '../../../src/store/character-index.js';
import { makeKill, tempDir } from './helpers.js';

const tmp = tempDir();
after(tmp.cleanup);

async function waitFor(check: () => boolean, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('kills a side writer stores are indexed by the serving store, once; its own kills are not repeated', async () => {
  const path = join(tmp.dir, 'served.db');
  const now = Date.now();
  const server = openStore({ path, retentionHours: 0, serving: true, checkpointThread: false });
  server.start();
  server.writer.writeBatch([makeKill({ id: 1, killTimeMs: now - 1000, characterIds: [7001, 7002] })]);

  const side = openStore({ path, retentionHours: 0, checkpointThread: false, sideWriter: true });
  // More than one chunk's worth, so the catch-up spans several event-loop turns.
  const history = Array.from({ length: 2500 }, (_, i) =>
    makeKill({ id: 1000 + i, systemId: 30000142 + (i % 3), killTimeMs: now - 60_000 - i, characterIds: [7001, 8000 + i] }),
  );
  // Batches of 700: a 2,000-row chunk ends inside a batch (one stored_at_ms), where the cursor
  // continues by killmail id.
  for (let i = 0; i < history.length; i += 700) side.writer.writeBatch(history.slice(i, i + 700));
  // The server writes on while the other process does.
  server.writer.writeBatch([makeKill({ id: 2, killTimeMs: now - 500, characterIds: [7001] })]);

  const ids = (): number[] => server.reader.characterKillRows(7001, 0, 10_000).map((k) => k.killmailId);
  await waitFor(() => ids().length >= 2502, 10_000, `the side writer's kills in the server's index (${ids().length})`);
  await new Promise((r) => setTimeout(r, 600)); // another poll: nothing is added twice
  assert.equal(ids().length, 2502);
  assert.equal(new Set(ids()).size, 2502, 'each kill once');
  assert.deepEqual(
    server.reader.characterKillRows(8042, 0, 10).map((k) => k.killmailId),
    [1042],
  );
  // 1 and 2 are in system 30000142, as are the history kills with i % 3 === 0 (834 of 2,500).
  assert.equal(server.reader.countBySystem(30000142, 0), 836);
  assert.equal(server.reader.countBySystem(30000144, 0), 833);
  assert.equal(server.reader.killsBySystem({ systemId: 30000143, sinceMs: 0, limit: 10_000 }).length, 833);
  side.close();
  await server.stop();
});

test('a store that is not serving (or is itself the side writer) does not watch', () => {
  const path = join(tmp.dir, 'plain.db');
  const plain = openStore({ path, retentionHours: 0, checkpointThread: false });
  plain.start();
  const side = openStore({ path, retentionHours: 0, checkpointThread: false, sideWriter: true });
  side.writer.writeBatch([makeKill({ id: 5, killTimeMs: Date.now(), characterIds: [7100] })]);
  // Without the watch, the plain store learns of the kill only when it next loads its index.
  assert.deepEqual(plain.reader.characterKillRows(7100, 0, 10), []);
  side.close();
  plain.close();
});

test('the character index answers has() for indexed pairs only', () => {
  const index = createCharacterIndex();
  index.add([1, 2], 100, 50);
  assert.equal(index.has(1, 50), true);
  assert.equal(index.has(2, 50), true);
  assert.equal(index.has(1, 51), false);
  assert.equal(index.has(3, 50), false);
});
