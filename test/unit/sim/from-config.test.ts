import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testConfig } from '../../../src/config/index.js';
import { simOptionsFromConfig } from '../../../src/sim/index.js';

test('simOptionsFromConfig maps rate, seed and replay (restamped), and lets flags override', () => {
  assert.deepEqual(simOptionsFromConfig(testConfig({ simRate: 5, simSeed: 9 })), { seed: 9, rate: 5 });
  assert.deepEqual(simOptionsFromConfig(testConfig({ simReplay: '/tmp/x' }), { restamp: false, port: 0 }), {
    seed: 1,
    rate: 1,
    replayDir: '/tmp/x',
    restamp: false,
    port: 0,
  });
});
