import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { BusKill } from '../../../src/core/ports.js';
import { createBus } from '../../../src/fanout/bus.js';
import { Counters, silentLogger } from '../../../src/telemetry/index.js';

const kill: BusKill = { killmailId: 1, systemId: 30000142, characterIds: [], totalValue: 1, killTimeMs: 0, json: '{}', receivedAtUs: 0 };

test('listeners run in order; a throwing one is counted and the others still get the batch', () => {
  const counters = new Counters();
  const bus = createBus({ counters, logger: silentLogger() });
  const seen: string[] = [];
  bus.subscribe(() => seen.push('a'));
  bus.subscribe(() => {
    throw new Error('boom');
  });
  const off = bus.subscribe(() => seen.push('c'));
  bus.publish([kill]);
  assert.deepEqual(seen, ['a', 'c']);
  assert.equal(counters.get('bus.listener_errors'), 1);
  off();
  bus.publish([kill]);
  bus.publish([]);
  assert.deepEqual(seen, ['a', 'c', 'a']);
});
