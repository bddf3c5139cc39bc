import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkJson, checkText, echo, parseIntText, type ValueSpec } from '../../../src/http/validate.js';

const SYSTEM: ValueSpec = { type: 'integer', min: 1, max: 50_000_000 };
const LIMIT: ValueSpec = { type: 'integer', min: 1, max: 1000, default: 50 };
const IDS: ValueSpec = { type: 'integer_list', min: 1, max: 50_000_000, minItems: 1, maxItems: 100 };

describe('parseIntText', () => {
  test('accepts canonical positive integers within bounds', () => {
    assert.equal(parseIntText('1', 1, 10), 1);
    assert.equal(parseIntText('30000142', 1, 50_000_000), 30_000_142);
    assert.equal(parseIntText('9007199254740991', 1, Number.MAX_SAFE_INTEGER), Number.MAX_SAFE_INTEGER);
  });
  test('rejects signs, fractions, exponents, junk, leading zeros, blanks and values past 2^53', () => {
    for (const t of ['', ' 1', '1 ', '+1', '-1', '1.5', '1e3', '12abc', 'abc', '0x10', '007', '9007199254740992', '99999999999999999999']) {
      assert.equal(parseIntText(t, 1, Number.MAX_SAFE_INTEGER), undefined, JSON.stringify(t));
    }
  });
  test('bounds are inclusive; 0 only when allowed', () => {
    assert.equal(parseIntText('1000', 1, 1000), 1000);
    assert.equal(parseIntText('1001', 1, 1000), undefined);
    assert.equal(parseIntText('0', 1, 10), undefined);
    assert.equal(parseIntText('0', 0, 10), 0);
  });
});

describe('checkText', () => {
  test('absent → default (or undefined)', () => {
    assert.deepEqual(checkText(LIMIT, undefined), { ok: true, value: 50 });
    assert.deepEqual(checkText(SYSTEM, undefined), { ok: true, value: undefined });
  });
  test('present but empty is an error, not the default', () => {
    assert.equal(checkText(LIMIT, '').ok, false);
  });
  test('integer lists: comma-separated, counted, each bounded', () => {
    assert.deepEqual(checkText(IDS, '1,2, 3'), { ok: true, value: [1, 2, 3] });
    assert.equal(checkText(IDS, '').ok, false);
    assert.equal(checkText(IDS, '1,,2').ok, false);
    assert.equal(checkText(IDS, Array.from({ length: 101 }, (_, i) => i + 1).join(',')).ok, false);
  });
  test('strings and booleans', () => {
    const s: ValueSpec = { type: 'string', maxLength: 5, pattern: /^[a-z]+$/ };
    assert.deepEqual(checkText(s, 'abc'), { ok: true, value: 'abc' });
    assert.equal(checkText(s, 'abcdef').ok, false);
    assert.equal(checkText(s, 'AB').ok, false);
    assert.deepEqual(checkText({ type: 'boolean' }, 'true'), { ok: true, value: true });
    assert.equal(checkText({ type: 'boolean' }, 'yes').ok, false);
  });
});

describe('checkJson', () => {
  test('integers: JSON numbers or canonical numeric strings', () => {
    assert.deepEqual(checkJson(LIMIT, 10), { ok: true, value: 10 });
    assert.deepEqual(checkJson(LIMIT, '10'), { ok: true, value: 10 });
    assert.deepEqual(checkJson(LIMIT, null), { ok: true, value: 50 });
    for (const v of [0, 1001, 1.5, -1, '1.5', true, [], {}, 2 ** 53]) assert.equal(checkJson(LIMIT, v).ok, false, JSON.stringify(v));
  });
  test('integer lists: JSON integers only, 1..100 items', () => {
    assert.deepEqual(checkJson(IDS, [30000142]), { ok: true, value: [30000142] });
    for (const v of [[], ['1'], [1.5], [-1], [0], [2 ** 53 + 2], 5, 'x', Array.from({ length: 101 }, () => 1)]) {
      const r = checkJson(IDS, v);
      assert.equal(r.ok, false, JSON.stringify(v));
      assert.ok(!r.ok && r.reason.length > 0);
    }
  });
});

test('echo keeps details short and JSON-safe', () => {
  assert.equal(echo('x'.repeat(100)), 'x'.repeat(64) + '…');
  assert.equal(echo(5), 5);
  assert.equal(echo([1, 2]), 'array(2)');
  assert.equal(echo({}), 'object');
  assert.equal(echo(null), null);
});
