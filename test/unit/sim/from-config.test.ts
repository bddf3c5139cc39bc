import assert from 'node:assert/strict';
import { test } from 'node:test';
import { testConfig } from '../../../src/config/index.js';
import { simOptionsFromConfig } from '../../../src/sim/index.js';

test('simOptionsFromConfig maps rate, seed, history days and replay (restamped), and lets flags override', () => {
  const noHistory = { historyDays: 0, historyKillsPerDay: 50 };
  assert.deepEqual(simOptionsFromConfig(testConfig({ simRate: 5, simSeed: 9 })), { seed: 9, rate: 5, ...noHistory });
  assert.deepEqual(simOptionsFromConfig(testConfig({ simHistoryDays: 3, simHistoryKillsPerDay: 1000 })), {
    seed: 1,
    rate: 1,
    historyDays: 3,
    historyKillsPerDay: 1000,
  });
  assert.deepEqual(simOptionsFromConfig(testConfig({ simReplay: '/tmp/x' }), { restamp: false, port: 0 }), {
    seed: 1,
    rate: 1,
    ...noHistory,
    replayDir: '/tmp/x',
    restamp: false,
    port: 0,
  });
});
