import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { findOldestAvailable, parseSequence } from '../../../src/feeds/r2z2-probe.js';

const bytes = (s: string) => new TextEncoder().encode(s);

describe('r2z2 probe helpers', () => {
  test('parseSequence accepts only {"sequence": N}', () => {
    assert.equal(parseSequence(bytes('{"sequence": 96513840}')), 96513840);
    assert.equal(parseSequence(bytes('{"sequence": -1}')), undefined);
    assert.equal(parseSequence(bytes('{"sequence": "12"}')), undefined);
    assert.equal(parseSequence(bytes('{"seq')), undefined);
    assert.equal(parseSequence(bytes('null')), undefined);
  });

  test('findOldestAvailable finds the first published sequence with log2 probes', async () => {
    const probes: number[] = [];
    const from = (oldest: number) => async (k: number) => {
      probes.push(k);
      return k >= oldest;
    };
    assert.equal(await findOldestAvailable(151, 200, from(180)), 180);
    assert.ok(probes.length <= 6, `${probes.length} probes`);
    assert.equal(await findOldestAvailable(100, 102, from(0)), 100);
    assert.equal(await findOldestAvailable(100, 100, from(0)), 100);
    assert.equal(await findOldestAvailable(100, 200, async () => undefined), undefined);
  });
});
