import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EsiGate } from '../../../src/enrich/esi-gate.js';

/** Lets every queued promise continuation run (no timers involved). */
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('esi gate concurrency', () => {
  test('cap 1: an acquire() between release() and the waiter waking does not take the slot too', async () => {
    const gate = new EsiGate({ maxConcurrencyPerRoute: 1, errorLimitLowWater: 10, now: Date.now });
    const entered: string[] = [];
    const enter = (name: string): Promise<void> =>
      gate.acquire('types').then(() => {
        entered.push(name);
      });
    await enter('a');
    const b = enter('b');
    await settle();
    assert.deepEqual(entered, ['a'], 'b waits while a holds the only slot');
    gate.release('types');
    // Runs before b's wake-up continuation: with the slot freed instead of handed over, both
    // c and b would proceed and two requests would be in flight under a cap of 1.
    const c = enter('c');
    await settle();
    assert.deepEqual(entered, ['a', 'b'], 'the released slot went to b; c waits');
    gate.release('types');
    await Promise.all([b, c]);
    assert.deepEqual(entered, ['a', 'b', 'c']);
    gate.release('types');
    // The slot is free again: a new acquire proceeds at once.
    await enter('d');
    gate.release('types');
    gate.close();
  });

  test('close() wakes waiters; their releases leave the count balanced', async () => {
    const gate = new EsiGate({ maxConcurrencyPerRoute: 1, errorLimitLowWater: 10, now: Date.now });
    await gate.acquire('names');
    const waiting = [gate.acquire('names'), gate.acquire('names')];
    gate.close();
    await Promise.all(waiting);
    for (let i = 0; i < 3; i++) gate.release('names');
    // Balanced count: one acquire proceeds, a second waits for its release.
    await gate.acquire('names');
    let second = false;
    const p = gate.acquire('names').then(() => {
      second = true;
    });
    await settle();
    assert.equal(second, false);
    gate.release('names');
    await p;
  });
});
