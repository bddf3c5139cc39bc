// The original's FilterParser and FilterHandler tests, ported: query parsing rules and messages
// (src/http/sse-filters.ts), and which kills a stream gets (src/fanout/sse/hub.ts on a real bus
// and an in-memory store; the sink records frames).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BusKill, SseFilters, StreamSink } from '../../../src/core/ports.js';
import { parseSseFilters } from '../../../src/http/sse-filters.js';
import { createBus, createSseHub } from '../../../src/fanout/index.js';
import { openStore } from '../../../src/store/index.js';
import { testConfig } from '../../../src/config/index.js';
import { Counters, silentLogger } from '../../../src/telemetry/index.js';

test('FilterParser: empty params give empty lists, no min_value, preload_days 0', () => {
  assert.deepEqual(parseSseFilters({}), { ok: true, filters: { systemIds: [], characterIds: [], minValue: null, preloadDays: 0 } });
});

test('FilterParser: whitespace trimmed, empty tokens skipped, empty strings give empty lists', () => {
  const r = parseSseFilters({ system_ids: ' 30000142 , ,30000144,', character_ids: '' });
  assert.deepEqual(r, { ok: true, filters: { systemIds: [30000142, 30000144], characterIds: [], minValue: null, preloadDays: 0 } });
});

test('FilterParser: zero and negative ids are accepted (as the original)', () => {
  const r = parseSseFilters({ system_ids: '0,-5' });
  assert.ok(r.ok && r.filters.systemIds.join() === '0,-5');
});

test('FilterParser: min_value takes an integer or a float; negative or non-numeric is an error', () => {
  const int = parseSseFilters({ min_value: '1000000' });
  assert.ok(int.ok && int.filters.minValue === 1_000_000);
  const float = parseSseFilters({ min_value: '1500.5' });
  assert.ok(float.ok && float.filters.minValue === 1500.5);
  assert.deepEqual(parseSseFilters({ min_value: '-100' }), {
    ok: false,
    field: 'min_value',
    value: '-100',
    message: 'min_value must be non-negative, got -100.0',
  });
  const bad = parseSseFilters({ min_value: 'lots' });
  assert.ok(!bad.ok && bad.message === "Invalid min_value: 'lots' is not a valid number");
});

test('FilterParser: more than 100 system or character ids is an error', () => {
  const many = Array.from({ length: 101 }, (_, i) => i + 1).join(',');
  const s = parseSseFilters({ system_ids: many });
  assert.ok(!s.ok && s.message === 'Too many system_ids specified (max 100)');
  const c = parseSseFilters({ character_ids: many });
  assert.ok(!c.ok && c.message === 'Too many character_ids specified (max 100)');
  assert.ok(parseSseFilters({ system_ids: many.split(',').slice(0, 100).join(',') }).ok);
});

test('FilterParser: preload_days 120 becomes 90, 90 stays 90; negative or non-numeric is an error', () => {
  for (const [given, want] of [
    ['120', 90],
    ['90', 90],
    ['7', 7],
    ['0', 0],
  ] as const) {
    const r = parseSseFilters({ preload_days: given });
    assert.ok(r.ok && r.filters.preloadDays === want, given);
  }
  for (const bad of ['-1', 'x', '1.5']) assert.equal(parseSseFilters({ preload_days: bad }).ok, false, bad);
});

test('FilterParser: a non-integer id names the field and the token', () => {
  const r = parseSseFilters({ system_ids: 'invalid' });
  assert.ok(!r.ok && r.field === 'system_ids' && r.message === "Invalid system_ids: 'invalid' is not a valid integer");
});

// ---------------------------------------------------------------- FilterHandler

function kill(id: number, systemId: number, characterIds: number[], totalValue: number): BusKill {
  return { killmailId: id, systemId, characterIds, totalValue, killTimeMs: Date.now(), json: `{"killmail_id":${id}}`, receivedAtUs: 0 };
}

function harness() {
  const bus = createBus();
  const store = openStore({ path: ':memory:', retentionHours: 0 });
  const hub = createSseHub({
    config: testConfig({}),
    logger: silentLogger(),
    counters: new Counters(),
    reader: store.reader,
    resume: store.resume,
    bus,
  });
  hub.start();
  const open = (f: Partial<SseFilters>): number[] => {
    const got: number[] = [];
    const sink: StreamSink = {
      write(chunk) {
        const m = /^id: (\d+)/.exec(chunk);
        if (m) got.push(Number(m[1]));
        return true;
      },
      pendingBytes: () => 0,
      close() {},
    };
    hub.open(
      {
        mode: 'standard',
        ip: '127.0.0.1',
        lastEventId: undefined,
        filters: { systemIds: [], characterIds: [], minValue: null, preloadDays: 0, ...f },
      },
      sink,
    );
    return got;
  };
  return {
    bus,
    open,
    close: () => {
      hub.stop();
      store.close();
    },
  };
}

test('FilterHandler: no filters send everything; victim, attacker and system matches send; others drop', () => {
  const h = harness();
  const all = h.open({});
  const byChar = h.open({ characterIds: [100] });
  const bySys = h.open({ systemIds: [30000142] });
  const either = h.open({ systemIds: [30000142], characterIds: [100] });
  h.bus.publish([
    kill(1, 30000142, [5, 6], 10), // system only
    kill(2, 30000144, [100, 7], 10), // victim (first id) 100
    kill(3, 30000144, [8, 100], 10), // attacker 100
    kill(4, 30000144, [9], 10), // nothing
    kill(5, 30000144, [], 10), // no victim character, no attackers with ids
  ]);
  assert.deepEqual(all, [1, 2, 3, 4, 5]);
  assert.deepEqual(byChar, [2, 3]);
  assert.deepEqual(bySys, [1]);
  assert.deepEqual(either, [1, 2, 3], 'OR across character and system');
  h.close();
});

test('FilterHandler: min_value drops kills below it (or without a value), also when a character matches', () => {
  const h = harness();
  const min = h.open({ minValue: 1000 });
  const charMin = h.open({ characterIds: [100], minValue: 1000 });
  const sysMin = h.open({ systemIds: [30000142], minValue: 1000 });
  h.bus.publish([
    kill(1, 30000142, [100], 999),
    kill(2, 30000142, [100], 1000),
    kill(3, 30000142, [100], 0),
    kill(4, 30000144, [100], 5000),
  ]);
  assert.deepEqual(min, [2, 4]);
  assert.deepEqual(charMin, [2, 4]);
  assert.deepEqual(sysMin, [2]);
  h.close();
});

test('each kill reaches a stream once even when its system and several characters match', () => {
  const h = harness();
  const s = h.open({ systemIds: [30000142], characterIds: [1, 2, 3] });
  h.bus.publish([kill(7, 30000142, [1, 2, 3], 1)]);
  assert.deepEqual(s, [7]);
  h.close();
});
