import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkTotal, ORIGINAL_PRELOAD, parseIds, parsePreload, sanitizeIdentifier } from '../../../src/fanout/validate.js';
import { negotiateVsn } from '../../../src/fanout/hub.js';

test('parseIds: positive integers, deduplicated, order kept', () => {
  assert.deepEqual(parseIds([3, 1, 3, 2], 'system'), { ok: true, value: [3, 1, 2] });
  assert.deepEqual(parseIds([], 'character'), { ok: true, value: [] });
  assert.deepEqual(parseIds([1000, 2_500_000_000], 'character'), { ok: true, value: [1000, 2_500_000_000] });
});

test('parseIds: strings, floats, negatives, zero, too large, too many', () => {
  const reason = (v: unknown, k: 'system' | 'character' = 'system'): string => {
    const r = parseIds(v, k);
    return r.ok ? 'ok' : (r.reason.split(':')[0] ?? '');
  };
  assert.equal(reason(['1']), 'invalid_system_ids');
  assert.equal(reason([1.5]), 'invalid_system_ids');
  assert.equal(reason([-1]), 'invalid_system_ids');
  assert.equal(reason([0], 'character'), 'invalid_character_ids');
  assert.equal(reason([50_000_001]), 'invalid_system_ids');
  assert.equal(reason({}), 'invalid_system_ids');
  assert.equal(reason(new Array(10_001).fill(1)), 'too_many_systems');
  assert.equal(reason(new Array(50_001).fill(1), 'character'), 'too_many_characters');
});

test('checkTotal uses the running total', () => {
  assert.equal(checkTotal('system', 9_999, 1), null);
  assert.match(checkTotal('system', 9_999, 2) ?? '', /^too_many_systems: /);
  assert.match(checkTotal('character', 50_000, 1) ?? '', /^too_many_characters: /);
});

test('parsePreload: defaults, clamps, type errors', () => {
  assert.deepEqual(parsePreload(undefined), { ok: true, value: ORIGINAL_PRELOAD });
  assert.deepEqual(parsePreload({ enabled: true }), {
    ok: true,
    value: { enabled: true, limitPerSystem: 50, sinceHours: 24, batchSize: 10, intervalMs: 1000 },
  });
  assert.deepEqual(parsePreload({ limit_per_system: 500, since_hours: 1000 }), {
    ok: true,
    value: { enabled: true, limitPerSystem: 200, sinceHours: 168, batchSize: 10, intervalMs: 1000 },
  });
  assert.equal(
    parsePreload({ enabled: false }).ok && (parsePreload({ enabled: false }) as { value: { enabled: boolean } }).value.enabled,
    false,
  );
  assert.deepEqual(parsePreload({ since_hours: '24' }), { ok: false, reason: 'invalid_payload: preload.since_hours must be an integer' });
  assert.deepEqual(parsePreload('yes'), { ok: false, reason: 'invalid_payload: preload must be an object' });
});

test('sanitizeIdentifier as the original: trim, 32 chars, [A-Za-z0-9_-]', () => {
  assert.equal(sanitizeIdentifier('  my map!  '), 'my_map_');
  assert.equal(sanitizeIdentifier('x'.repeat(40)), 'x'.repeat(32));
  assert.equal(sanitizeIdentifier(null), '');
});

test('negotiateVsn: none and 1.x are V1, 2.0.x is V2, anything else is refused', () => {
  assert.equal(negotiateVsn(null), 1);
  assert.equal(negotiateVsn('1.0.0'), 1);
  assert.equal(negotiateVsn('2.0.0'), 2);
  assert.equal(negotiateVsn('2.1.0'), undefined);
  assert.equal(negotiateVsn('banana'), undefined);
});
