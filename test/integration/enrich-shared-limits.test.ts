// Across real threads: two worker_threads, each with its own ESI client (as two pipeline workers
// have), against a fake ESI that answers 420 to every request until its error window resets.
// Sharing one createSharedLimits() buffer, the second worker waits for the reset instead of
// collecting a 420 of its own; without it (the control) both collect one.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { createSharedLimits, SharedLimits } from '../../src/enrich/esi-shared-limits.js';
import { respondJson, startFakeEsi, type FakeEsi } from '../unit/enrich/helpers.js';

interface Reply {
  ok: boolean;
  status: number;
  status420: number;
}

const RESET_S = 2;

function spawn(t: TestContext, esiUrl: string, sharedLimits: SharedArrayBuffer | undefined): (path: string) => Promise<Reply> {
  const tsEntry = new URL('../fixtures/enrich-esi-client.worker.ts', import.meta.url).href;
  const worker = new Worker(new URL('../fixtures/pipeline-ts-worker.mjs', import.meta.url), {
    workerData: { tsEntry, esiUrl, ...(sharedLimits !== undefined ? { sharedLimits } : {}) },
  });
  t.after(async () => {
    worker.postMessage('close');
    await worker.terminate();
  });
  const failed = once(worker, 'error').then(([err]) => {
    throw err;
  });
  failed.catch(() => undefined); // reported through the race below when a request is pending
  return async (path) => {
    worker.postMessage({ path });
    const [reply] = (await Promise.race([once(worker, 'message'), failed])) as [Reply];
    return reply;
  };
}

/** ESI after the error limit is spent: 420 to everything until the window resets. */
function limitedEsi(esi: FakeEsi): { served420: () => number; resetAtMs: () => number } {
  let resetAtMs = 0;
  let served420 = 0;
  esi.override = (_req, res) => {
    if (resetAtMs === 0 || Date.now() < resetAtMs) {
      if (resetAtMs === 0) resetAtMs = Date.now() + RESET_S * 1000;
      served420++;
      return respondJson(
        res,
        420,
        { error: 'error limited' },
        { 'x-esi-error-limit-remain': '0', 'x-esi-error-limit-reset': String(RESET_S) },
      );
    }
    return respondJson(res, 200, { name: 'x' }, { 'x-esi-error-limit-remain': '100', 'x-esi-error-limit-reset': '60' });
  };
  return { served420: () => served420, resetAtMs: () => resetAtMs };
}

async function until(ready: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!ready()) {
    assert.ok(Date.now() < deadline, `timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}

test('two worker threads sharing the limit buffer: one 420 in total, B waits for the reset', async (t) => {
  const esi = await startFakeEsi();
  t.after(() => esi.close());
  const limits = limitedEsi(esi);
  const buffer = createSharedLimits();
  const shared = new SharedLimits(buffer);
  const a = spawn(t, esi.url, buffer);
  const b = spawn(t, esi.url, buffer);
  const ra = a('/characters/1/');
  // Worker A has read the 420 and published the pause; only now does B ask.
  await until(() => shared.globalPauseUntil() > 0, "worker A's 420 in the shared buffer");
  const rb = await b('/characters/2/');
  const replyA = await ra;
  assert.equal(replyA.ok && rb.ok, true);
  assert.equal(limits.served420(), 1, 'only one 420 collected by the process');
  assert.equal(rb.status420, 0);
  const fromB = esi.seen.filter((s) => s.path === '/characters/2/');
  assert.equal(fromB.length, 1);
  assert.ok((fromB[0]?.atMs ?? 0) >= limits.resetAtMs(), 'B sent nothing before the reset');
});

test('control: without the shared buffer each worker collects its own 420', async (t) => {
  const esi = await startFakeEsi();
  t.after(() => esi.close());
  const limits = limitedEsi(esi);
  const a = spawn(t, esi.url, undefined);
  const b = spawn(t, esi.url, undefined);
  const ra = a('/characters/1/');
  await until(() => limits.served420() > 0, "worker A's 420");
  const [replyA, replyB] = await Promise.all([ra, b('/characters/2/')]);
  assert.equal(replyA.ok && replyB.ok, true);
  assert.equal(limits.served420(), 2);
  assert.equal(replyB.status420, 1);
});
