// Thread names and the pipeline workers' nice value (src/core/threads.ts), read back from the
// kernel the way `top -H` and the benches read them.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readThreadTimes } from '../../../src/core/threads.js';
import { openStore } from '../../../src/store/index.js';
import { startPipeline } from '../../fixtures/pipeline-harness.js';

const linux = existsSync('/proc/thread-self');
const skip = linux ? false : 'no /proc/thread-self: thread names and per-thread nice are Linux only';

/** Threads born since `before`, with the given name, once at least `count` of them are up. */
async function newThreads(before: Set<number>, name: string, count: number): Promise<{ tid: number; nice: number }[]> {
  for (let i = 0; i < 200; i++) {
    const found = [...readThreadTimes()]
      .filter(([tid, t]) => !before.has(tid) && t.name === name)
      .map(([tid, t]) => ({ tid, nice: t.nice }));
    if (found.length >= count) return found;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`fewer than ${count} new threads named ${name}`);
}

describe('per-thread settings', { skip }, () => {
  test('pipeline workers are named wk-pipeline and run 5 nice levels below the process by default; the main thread keeps its own', async (t) => {
    const before = new Set(readThreadTimes().keys());
    const mainNice = readThreadTimes().get(process.pid)?.nice;
    assert.equal(typeof mainNice, 'number');
    await startPipeline(t, { workers: 2 });
    const want = Math.min(19, (mainNice as number) + 5);
    // A worker names itself, then nices itself: a read can fall between the two on a busy machine.
    let workers = await newThreads(before, 'wk-pipeline', 2);
    for (let i = 0; i < 100 && workers.some((w) => w.nice !== want); i++) {
      await new Promise((r) => setTimeout(r, 10));
      workers = await newThreads(before, 'wk-pipeline', 2);
    }
    assert.equal(workers.length, 2);
    for (const w of workers) assert.equal(w.nice, want);
    assert.equal(readThreadTimes().get(process.pid)?.nice, mainNice, "the main thread's nice is unchanged");
  });

  test('workerNice 0 leaves the workers at the process nice value', async (t) => {
    const before = new Set(readThreadTimes().keys());
    const mainNice = readThreadTimes().get(process.pid)?.nice;
    await startPipeline(t, { workers: 1, workerNice: 0 });
    const [worker] = await newThreads(before, 'wk-pipeline', 1);
    assert.equal(worker?.nice, mainNice);
  });

  test("the store's WAL checkpointer thread is named wk-checkpoint", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wk-threads-'));
    const before = new Set(readThreadTimes().keys());
    const store = openStore({ path: join(dir, 'k.db'), retentionHours: 0 });
    try {
      store.start();
      const found = await newThreads(before, 'wk-checkpoint', 1);
      assert.equal(found.length, 1);
    } finally {
      await store.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('per-thread CPU and run-queue times are readable and grow with work', () => {
    const a = readThreadTimes().get(process.pid);
    let x = 0;
    for (let i = 0; i < 5e6; i++) x += Math.sqrt(i);
    const b = readThreadTimes().get(process.pid);
    assert.ok(a !== undefined && b !== undefined && x > 0);
    assert.ok(b.runNs > a.runNs, 'CPU time grew');
    assert.ok(b.waitNs >= a.waitNs);
  });
});
