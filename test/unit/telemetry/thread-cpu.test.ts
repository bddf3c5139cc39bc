// CPU and run-queue time by thread role (src/telemetry/thread-cpu.ts), from this process's own threads.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { ThreadCpu, threadRole } from '../../../src/telemetry/index.js';

test('roles come from the kernel thread id and the names the service gives its threads', () => {
  assert.equal(threadRole(100, 'node', 100), 'main');
  assert.equal(threadRole(101, 'wk-pipeline', 100), 'pipeline');
  assert.equal(threadRole(102, 'wk-checkpoint', 100), 'checkpoint');
  assert.equal(threadRole(103, 'node', 100), 'other');
  assert.equal(threadRole(104, 'libuv-worker', 100), 'other');
});

test(
  'totals grow with work and never go back',
  { skip: existsSync('/proc/thread-self') ? false : 'no /proc/thread-self: per-thread times are Linux only' },
  () => {
    const cpu = new ThreadCpu();
    const a = cpu.read();
    assert.ok(a !== undefined);
    let x = 0;
    for (let i = 0; i < 5e6; i++) x += Math.sqrt(i);
    const b = cpu.read();
    assert.ok(b !== undefined && x > 0);
    assert.ok(b.cpuSeconds.main > a.cpuSeconds.main, `main CPU ${a.cpuSeconds.main} -> ${b.cpuSeconds.main}`);
    for (const role of ['main', 'pipeline', 'checkpoint', 'other'] as const) {
      assert.ok(b.cpuSeconds[role] >= a.cpuSeconds[role]);
      assert.ok(b.waitSeconds[role] >= a.waitSeconds[role]);
    }
  },
);
