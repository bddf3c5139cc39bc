// The official `phoenix` npm client against the real hub (uWS + SQLite store + bus): joins,
// every client event, preload order and batching, exactly-once matching, kill counts, heartbeats,
// rejoin after the server closes the socket, stats bookkeeping.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Channel, Socket } from 'phoenix';
import { makeKill, phoenixSocket, startHarness, waitFor, type Harness } from './ws-harness.js';

type Reply = { status: 'ok' | 'error' | 'timeout'; response: Record<string, unknown> };

function pushP(ch: Channel, event: string, payload: object): Promise<Reply> {
  return new Promise((resolve) => {
    ch.push(event, payload)
      .receive('ok', (r: Record<string, unknown>) => resolve({ status: 'ok', response: r }))
      .receive('error', (r: Record<string, unknown>) => resolve({ status: 'error', response: r }))
      .receive('timeout', () => resolve({ status: 'timeout', response: {} }));
  });
}

function joinP(ch: Channel): Promise<Reply> {
  return new Promise((resolve) => {
    ch.join()
      .receive('ok', (r: Record<string, unknown>) => resolve({ status: 'ok', response: r }))
      .receive('error', (r: Record<string, unknown>) => resolve({ status: 'error', response: r }))
      .receive('timeout', () => resolve({ status: 'timeout', response: {} }));
  });
}

interface Update {
  system_id: number;
  killmails: Array<{ killmail_id: number; kill_time: string }>;
  timestamp: string;
  preload: boolean;
}

function collect(ch: Channel, event: string): unknown[] {
  const out: unknown[] = [];
  ch.on(event, (p: unknown) => {
    out.push(p);
  });
  return out;
}

describe('phoenix client against the fan-out hub', () => {
  let h: Harness;
  const sockets: Socket[] = [];
  const connect = (params: Record<string, unknown> = {}): Socket => {
    const s = phoenixSocket(h.url, params);
    s.connect();
    sockets.push(s);
    return s;
  };

  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    for (const s of sockets) s.disconnect();
    await h.close();
  });

  test('join reply, preload batches newest first, then preload_complete', async () => {
    // 5 stored kills in 30000142 (1..5 minutes ago) and 1 in 30000144.
    h.publish([1, 2, 3, 4, 5].map((m) => makeKill({ id: 100 + m, systemId: 30000142, agoMin: m })));
    h.publish([makeKill({ id: 200, systemId: 30000144, agoMin: 2 })]);
    const s = connect({ client_identifier: 'test client!' });
    const ch = s.channel('killmails:lobby', {
      systems: [30000142, 30000144],
      preload: { enabled: true, limit_per_system: 4, delivery_batch_size: 2, delivery_interval_ms: 20 },
    });
    const updates = collect(ch, 'killmail_update') as Update[];
    const complete = collect(ch, 'preload_complete');
    const joined = await joinP(ch);
    assert.equal(joined.status, 'ok');
    assert.deepEqual(joined.response['subscribed_systems'], [30000142, 30000144]);
    assert.deepEqual(joined.response['subscribed_characters'], []);
    assert.equal(joined.response['status'], 'connected');
    assert.match(String(joined.response['subscription_id']), /^[A-Za-z0-9_-]{22}$/);
    await waitFor(() => complete.length === 1, 5000, 'preload_complete');
    assert.deepEqual(complete[0], { total_kills: 5, systems_processed: 2, characters_processed: 0, errors: [] });
    assert.ok(updates.every((u) => u.preload === true && u.killmails.length <= 2));
    const ids = updates.flatMap((u) => u.killmails.map((k) => k.killmail_id));
    assert.deepEqual(ids, [101, 102, 103, 104, 200]);
    assert.equal(updates[0]?.system_id, 30000142);
    const status = await pushP(ch, 'get_status', {});
    assert.equal(status.status, 'ok');
    assert.match(String(status.response['user_id']), /^test_client__\d+_[A-Za-z0-9_-]{11}$/);
    ch.leave();
  });

  test('default preload (no option): 5 per system at once; subscribes preload only what is new', async () => {
    // Character 95000301 in 7 kills of 30000301; 30000302 holds one of them plus 2 others.
    h.publish(Array.from({ length: 7 }, (_, i) => makeKill({ id: 300 + i, systemId: 30000301, victim: 95000301, agoMin: i + 1 })));
    h.publish([makeKill({ id: 310, systemId: 30000302, agoMin: 1 }), makeKill({ id: 311, systemId: 30000302, agoMin: 2 })]);
    h.publish([makeKill({ id: 312, systemId: 30000302, victim: 95000301, agoMin: 2.5 })]);
    h.publish([makeKill({ id: 313, systemId: 30000301, agoMin: 60 * 25 })]); // outside 24 h
    const s = connect();
    const ch = s.channel('killmails:lobby', { character_ids: [95000301] });
    const updates = collect(ch, 'killmail_update') as Update[];
    const complete = collect(ch, 'preload_complete') as Array<{ total_kills: number }>;
    assert.equal((await joinP(ch)).status, 'ok');
    await waitFor(() => complete.length === 1, 3000, 'first preload_complete');
    const first = updates.flatMap((u) => u.killmails.map((k) => k.killmail_id));
    // One batch of the 5 newest, one killmail_update per system in it.
    assert.deepEqual(first, [300, 301, 302, 303, 312]);
    assert.equal(complete[0]?.total_kills, 5);
    updates.length = 0;
    const sub = await pushP(ch, 'subscribe_systems', { systems: [30000302] });
    assert.deepEqual(sub.response, { subscribed_systems: [30000302], subscribed_systems_count: 1, added: 1 });
    await waitFor(() => complete.length === 2, 3000, 'second preload_complete');
    const second = updates.flatMap((u) => u.killmails.map((k) => k.killmail_id));
    const overlap = second.filter((id) => first.includes(id));
    assert.deepEqual(overlap, [], 'a kill already preloaded is not sent again');
    assert.deepEqual(second, [310, 311]);
    assert.ok(updates.every((u) => u.preload && u.system_id === 30000302));
    ch.leave();
  });

  test('every client event and its reply', async () => {
    const s = connect();
    const ch = s.channel('killmails:lobby', {});
    const updated = collect(ch, 'subscription_updated');
    assert.equal((await joinP(ch)).status, 'ok');
    const UPDATED = {
      subscribed_systems: [30000142, 30002187],
      subscribed_systems_count: 2,
      subscribed_characters: [95000002],
      subscribed_characters_count: 1,
    };
    const cases: Array<[string, object, Reply['status'], Record<string, unknown>]> = [
      ['subscribe_systems', { systems: [30000142] }, 'ok', { subscribed_systems: [30000142], subscribed_systems_count: 1, added: 1 }],
      ['subscribe_systems', { systems: [30000142] }, 'ok', { message: 'Already subscribed to all requested systems' }],
      ['unsubscribe_systems', { systems: [31000005] }, 'ok', { message: 'Not subscribed to any of the requested systems' }],
      ['unsubscribe_systems', { systems: [30000142] }, 'ok', { subscribed_systems: [], subscribed_systems_count: 0, removed: 1 }],
      [
        'subscribe_characters',
        { character_ids: [95000001, 3019582] },
        'ok',
        { subscribed_characters: [3019582, 95000001], subscribed_characters_count: 2, added: 2 },
      ],
      ['subscribe_characters', { character_ids: [3019582] }, 'ok', { message: 'Already subscribed to all requested characters' }],
      [
        'unsubscribe_characters',
        { character_ids: [3019582] },
        'ok',
        { subscribed_characters: [95000001], subscribed_characters_count: 1, removed: 1 },
      ],
      ['unsubscribe_characters', { character_ids: [1] }, 'ok', { message: 'Not subscribed to any of the requested characters' }],
      [
        'update_subscriptions',
        { add_systems: [30000142, 30002187], remove_characters: [95000001], add_characters: [95000002] },
        'ok',
        { ...UPDATED, added_systems: 2, removed_systems: 0, added_characters: 1, removed_characters: 1 },
      ],
      [
        'subscribe_systems',
        { systems: ['30000142'] },
        'error',
        { reason: 'invalid_system_ids: systems must hold 1..50000000 integers (got "30000142")' },
      ],
      ['subscribe_systems', {}, 'error', { reason: 'invalid_payload: "systems" is required' }],
      ['no_such_event', {}, 'error', { reason: 'unknown_event' }],
    ];
    for (const [event, payload, status, response] of cases) {
      const r = await pushP(ch, event, payload);
      assert.deepEqual(r, { status, response }, `${event} ${JSON.stringify(payload)}`);
    }
    await waitFor(() => updated.length === 1, 2000, 'subscription_updated');
    assert.deepEqual(updated[0], { ...UPDATED, added_systems: 2, removed_systems: 0, added_characters: 1, removed_characters: 1 });
    const st = await pushP(ch, 'get_status', {});
    assert.deepEqual(st.response['subscribed_systems'], [30000142, 30002187]);
    assert.equal(typeof st.response['connected_at'], 'string');
    ch.leave();
  });

  test('each kill reaches a client exactly once with overlapping system and character matches', async () => {
    const s = connect();
    const ch = s.channel('killmails:lobby', { systems: [30000150], character_ids: [95000101, 95000102], preload: { enabled: false } });
    const updates = collect(ch, 'killmail_update') as Update[];
    assert.equal((await joinP(ch)).status, 'ok');
    h.publish([
      makeKill({ id: 9001, systemId: 30000150, victim: 95000101, attackers: [95000102] }), // system + both characters
      makeKill({ id: 9002, systemId: 30000999, victim: 95000101, attackers: [95000102, 95000101] }), // both characters only
      makeKill({ id: 9003, systemId: 30000999, attackers: [95000555] }), // no match
      makeKill({ id: 9004, systemId: 30000998, attackers: [95000102] }), // one character
    ]);
    h.publish([makeKill({ id: 9005, systemId: 30000150 })]); // sentinel through the system topic
    await waitFor(() => updates.some((u) => u.killmails[0]?.killmail_id === 9005), 3000, 'sentinel kill');
    await pushP(ch, 'get_status', {}); // one more round trip: anything late would have arrived
    const ids = updates.map((u) => u.killmails[0]?.killmail_id).sort();
    assert.deepEqual(ids, [9001, 9002, 9004, 9005]);
    assert.ok(updates.every((u) => u.preload === false && u.killmails.length === 1));
    ch.leave();
  });

  test('kill_count_update carries the real 24 h count, at most once per second per system', async () => {
    const s = connect();
    const ch = s.channel('killmails:lobby', { systems: [30000160], preload: { enabled: false } });
    const counts = collect(ch, 'kill_count_update') as Array<{ system_id: number; count: number; timestamp: string }>;
    assert.equal((await joinP(ch)).status, 'ok');
    h.publish([makeKill({ id: 9101, systemId: 30000160 }), makeKill({ id: 9102, systemId: 30000160 })]);
    h.publish([makeKill({ id: 9103, systemId: 30000160 })]);
    await waitFor(() => counts.length === 1, 2000, 'first kill_count_update');
    assert.deepEqual({ ...counts[0], timestamp: undefined }, { system_id: 30000160, count: 2, timestamp: undefined });
    await waitFor(() => counts.length === 2, 3000, 'trailing kill_count_update');
    // Server send times: the trailing update waits out the 1 s interval.
    const gapMs = Date.parse(counts[1]?.timestamp ?? '') - Date.parse(counts[0]?.timestamp ?? '');
    assert.ok(gapMs >= 1000, `second update ${gapMs} ms after the first`);
    assert.equal(counts[1] && counts[1].count, 3);
    ch.leave();
  });

  test('heartbeat round trip (socket.ping) on topic phoenix', async () => {
    const s = connect();
    await waitFor(() => s.isConnected(), 3000, 'connect');
    const rtt = await new Promise<number>((resolve) => s.ping(resolve));
    assert.ok(rtt >= 0 && rtt < 1000);
  });

  test('rejoins after the server closes the socket, and stats follow connections', async () => {
    const s = connect({ client_identifier: 'rejoiner' });
    const ch = s.channel('killmails:lobby', { systems: [30000170], preload: { enabled: false } });
    const updates = collect(ch, 'killmail_update') as Update[];
    let joins = 0;
    ch.join().receive('ok', () => joins++);
    await waitFor(() => joins === 1, 3000, 'first join');
    const subsBefore = h.fanout.subscriptions().filter((x) => x.subscriber_id.startsWith('rejoiner_'));
    assert.equal(subsBefore.length, 1);
    assert.deepEqual(subsBefore[0]?.system_ids, [30000170]);
    // An invalid frame makes the server close this socket with 1007.
    const conn = (s as unknown as { conn: { send(d: string): void } }).conn;
    conn.send('this is not json');
    await waitFor(() => joins === 2, 5000, 'rejoin after reconnect');
    assert.equal(h.counters.get('ws.bad_frame.invalid_json'), 1);
    const subsAfter = h.fanout.subscriptions().filter((x) => x.subscriber_id.startsWith('rejoiner_'));
    assert.equal(subsAfter.length, 1, 'the closed socket left no subscription behind');
    h.publish([makeKill({ id: 9201, systemId: 30000170 })]);
    await waitFor(() => updates.length === 1, 3000, 'kill after rejoin');
    const stats = h.fanout.stats();
    assert.ok(stats.activeConnections >= 1);
    assert.ok(stats.subscribedSystems >= 1);
    assert.ok(stats.killsSentRealtime >= 1);
    assert.ok(stats.killsSentPreload >= 5);
    s.disconnect();
    await waitFor(() => h.fanout.subscriptions().every((x) => !x.subscriber_id.startsWith('rejoiner_')), 3000, 'removal on disconnect');
  });
});
