// The late completion queue: retries at its delays, saves partial names when it gives up, keeps
// memory bounded, and never touches the store after stop(). The pipeline here is a scripted
// stand-in for its reenrich() (unit test); the store is the real one on ':memory:'.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createLateEnricher } from '../../../src/ingest/late-enrich.js';
import type { Reenricher } from '../../../src/core/ports.js';
import { openStore } from '../../../src/store/index.js';
import { Counters, silentLogger } from '../../../src/telemetry/index.js';
import { makeKill } from '../store/helpers.js';

function setup(answers: ({ json: string; enriched: boolean } | Error)[]) {
  const store = openStore({ path: ':memory:', retentionHours: 0 });
  const kill = makeKill({ id: 7, systemId: 30000142 });
  store.writer.writeBatch([kill]);
  let calls = 0;
  const pipeline: Reenricher = {
    reenrich: async () => {
      const a = answers[Math.min(calls++, answers.length - 1)] as { json: string; enriched: boolean } | Error;
      if (a instanceof Error) throw a;
      return a;
    },
  };
  const counters = new Counters();
  const late = createLateEnricher({ pipeline, store, counters, logger: silentLogger(), delaysMs: [5, 5, 5] });
  return { store, kill, late, counters, calls: () => calls };
}

async function until(pred: () => boolean): Promise<void> {
  const deadline = Date.now() + 5000;
  while (!pred()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 5));
  }
}

test('a kill is completed on a later attempt and its stored copy replaced', async () => {
  const done = '{"killmail_id":7,"solar_system_name":"Jita"}';
  const s = setup([new Error('worker busy'), { json: '{"killmail_id":7}', enriched: false }, { json: done, enriched: true }]);
  s.late.schedule(7, s.kill.json);
  await until(() => s.counters.get('enrich.late_completed') === 1);
  assert.equal(s.store.reader.killById(7), done);
  assert.equal(s.counters.get('enrich.late_errors'), 1);
  assert.equal(s.calls(), 3);
  s.late.stop();
  s.store.close();
});

test('after the last attempt the partial names are saved and the job dropped', async () => {
  const partial = '{"killmail_id":7,"victim":{"ship_name":"Rifter"}}';
  const s = setup([{ json: partial, enriched: false }]);
  s.late.schedule(7, s.kill.json);
  await until(() => s.counters.get('enrich.late_gave_up') === 1);
  assert.equal(s.store.reader.killById(7), partial);
  assert.equal(s.calls(), 3, 'one attempt per delay');
  assert.equal(s.late.stats().late_pending, 0);
  s.late.stop();
  s.store.close();
});

test('stop() ends the queue: nothing runs or writes afterwards', async () => {
  const s = setup([{ json: '{}', enriched: true }]);
  s.late.schedule(7, s.kill.json);
  s.late.stop();
  s.store.close();
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(s.calls(), 0);
  s.late.schedule(8, '{}');
  assert.equal(s.late.stats().late_queued, 1, 'schedule after stop is ignored');
});

test('a newer copy replaces the queued one, and cancel() forgets the kill: a stale result is never written', async () => {
  const s = setup([{ json: '{"killmail_id":7,"from":"reenrich"}', enriched: true }]);
  s.late.schedule(7, '{"killmail_id":7,"v":1}');
  s.late.schedule(7, '{"killmail_id":7,"v":2}');
  await until(() => s.counters.get('enrich.late_completed') === 1);
  assert.equal(s.calls(), 1, 'only the current job ran');
  assert.equal(s.late.stats().late_pending, 0);

  s.late.schedule(7, '{"killmail_id":7,"v":3}');
  s.late.cancel(7);
  await new Promise((r) => setTimeout(r, 30));
  assert.equal(s.calls(), 1, 'a cancelled job does not run');
  s.late.stop();
  s.store.close();
});
