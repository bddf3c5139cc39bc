// Preload races with the official `phoenix` client (docs/API.md#websocket): a live kill stored while a preload
// is still reading is not sent again as preload, and a preload stops sending kills of systems
// and characters the client unsubscribed meanwhile.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Channel, Socket } from 'phoenix';
import { makeKill, phoenixSocket, startHarness, waitFor, type Harness } from './ws-harness.js';

interface Update {
  system_id: number;
  killmails: Array<{ killmail_id: number }>;
  preload: boolean;
}

function joinP(ch: Channel): Promise<string> {
  return new Promise((resolve) => {
    ch.join()
      .receive('ok', () => resolve('ok'))
      .receive('error', () => resolve('error'))
      .receive('timeout', () => resolve('timeout'));
  });
}

function pushP(ch: Channel, event: string, payload: object): Promise<unknown> {
  return new Promise((resolve, reject) => {
    ch.push(event, payload)
      .receive('ok', resolve)
      .receive('error', (r: unknown) => reject(new Error(`${event} error: ${JSON.stringify(r)}`)))
      .receive('timeout', () => reject(new Error(`${event} timed out`)));
  });
}

/** [killmail_id, preload] per kill, in arrival order. */
function received(updates: Update[]): Array<[number, boolean]> {
  return updates.flatMap((u) => u.killmails.map((k): [number, boolean] => [k.killmail_id, u.preload]));
}

// Slow enough that the test's reaction to one batch always lands before the next preload tick.
const SLOW = { enabled: true, delivery_batch_size: 1, delivery_interval_ms: 300 };

describe('preload races', () => {
  let h: Harness;
  const sockets: Socket[] = [];

  /** A lobby channel whose first preload update runs `onFirst` (once). */
  function lobby(params: object, onFirst: (ch: Channel) => void): { ch: Channel; updates: Update[]; complete: unknown[] } {
    const s = phoenixSocket(h.url);
    s.connect();
    sockets.push(s);
    const ch = s.channel('killmails:lobby', params);
    const updates: Update[] = [];
    const complete: unknown[] = [];
    ch.on('killmail_update', (p: Update) => {
      updates.push(p);
      if (updates.length === 1) onFirst(ch);
    });
    ch.on('preload_complete', (p: unknown) => {
      complete.push(p);
    });
    return { ch, updates, complete };
  }

  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    for (const s of sockets) s.disconnect();
    await h.close();
  });

  test('a kill stored during the preload arrives once, live, not again as preload (system match)', async () => {
    const [A, B] = [30001001, 30001002];
    h.publish([makeKill({ id: 1, systemId: A, agoMin: 5 })]);
    // B is read one tick (300 ms) after A's batch went out; kill 2 is stored before that.
    const { ch, updates, complete } = lobby({ systems: [A, B], preload: SLOW }, () =>
      h.publish([makeKill({ id: 2, systemId: B, agoMin: 0.5 })]),
    );
    assert.equal(await joinP(ch), 'ok');
    await waitFor(() => complete.length === 1, 5000, 'preload_complete');
    assert.deepEqual(received(updates), [
      [1, true],
      [2, false],
    ]);
    assert.deepEqual(complete[0], { total_kills: 1, systems_processed: 2, characters_processed: 0, errors: [] });
  });

  test('a kill stored during the preload arrives once, live, not again as preload (character match)', async () => {
    const [A, Z, X] = [30001011, 30001019, 95001011];
    h.publish([makeKill({ id: 11, systemId: A, agoMin: 5 })]);
    // Kill 12 reaches the client through character X only (Z is not subscribed).
    const { ch, updates, complete } = lobby({ systems: [A], character_ids: [X], preload: SLOW }, () =>
      h.publish([makeKill({ id: 12, systemId: Z, victim: X, agoMin: 0.5 })]),
    );
    assert.equal(await joinP(ch), 'ok');
    await waitFor(() => complete.length === 1, 5000, 'preload_complete');
    assert.deepEqual(received(updates), [
      [11, true],
      [12, false],
    ]);
  });

  test('no preload for a system unsubscribed right after the join', async () => {
    const [A, B] = [30001021, 30001022];
    h.publish([
      makeKill({ id: 21, systemId: A, agoMin: 2 }),
      makeKill({ id: 22, systemId: B, agoMin: 3 }),
      makeKill({ id: 23, systemId: B, agoMin: 4 }),
    ]);
    const { ch, updates, complete } = lobby({ systems: [A, B], preload: SLOW }, () => undefined);
    assert.equal(await joinP(ch), 'ok');
    assert.deepEqual(await pushP(ch, 'unsubscribe_systems', { systems: [B] }), {
      subscribed_systems: [A],
      subscribed_systems_count: 1,
      removed: 1,
    });
    await waitFor(() => complete.length === 1, 5000, 'preload_complete');
    assert.deepEqual(received(updates), [[21, true]]);
    assert.ok(updates.every((u) => u.system_id === A));
  });

  test('kills already read for an unsubscribed system are dropped unless a subscribed character matches', async () => {
    const [A, B, X] = [30001031, 30001032, 95001031];
    h.publish([
      makeKill({ id: 31, systemId: A, agoMin: 1 }),
      makeKill({ id: 32, systemId: A, victim: X, agoMin: 2 }),
      makeKill({ id: 33, systemId: A, agoMin: 3 }),
      makeKill({ id: 34, systemId: B, agoMin: 4 }),
    ]);
    const dropsBefore = h.counters.get('ws.preload.dropped_unsubscribed');
    // A's read queues 31, 32, 33; A is unsubscribed once 31 arrived, before the next batch.
    let unsubscribed: Promise<unknown> | undefined;
    const { ch, updates, complete } = lobby({ systems: [A, B], character_ids: [X], preload: SLOW }, (c) => {
      unsubscribed = pushP(c, 'unsubscribe_systems', { systems: [A] });
    });
    assert.equal(await joinP(ch), 'ok');
    await waitFor(() => complete.length === 1, 5000, 'preload_complete');
    assert.deepEqual(await unsubscribed, { subscribed_systems: [B], subscribed_systems_count: 1, removed: 1 });
    // 32 stays (victim X is still subscribed), 33 is dropped, 34 (B) follows; X's own read finds 32 already sent.
    assert.deepEqual(received(updates), [
      [31, true],
      [32, true],
      [34, true],
    ]);
    assert.equal(h.counters.get('ws.preload.dropped_unsubscribed') - dropsBefore, 1);
  });
});
