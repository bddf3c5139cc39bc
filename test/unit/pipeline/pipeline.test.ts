// The pool end to end: K=2 workers, rings, msgpackr results, counters, back-pressure.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { hasCode } from '../../../src/core/errors.js';
import { testConfig } from '../../../src/config/index.js';
import { createPipeline } from '../../../src/pipeline/index.js';
import { Counters, silentLogger } from '../../../src/telemetry/index.js';
import { bytes, crowdedKillmail, esiKillmail, r2z2Entry } from '../../fixtures/pipeline-samples.js';
import { entry, pushAll, seqsOf, startPipeline } from '../../fixtures/pipeline-harness.js';

describe('pipeline pool (K=2)', () => {
  test('N entries in, N outcomes out, exactly once, under back-pressure', async (t) => {
    const h = await startPipeline(t, { ringBytes: 64 * 1024, maxEntryBytes: 8 * 1024 });
    const N = 3000;
    const entries = Array.from({ length: N }, (_, i) => entry(bytes(r2z2Entry(10_000 + i)), i + 1));
    const waits = await pushAll(h.pipeline, entries);
    await h.waitFor(N);
    assert.deepEqual(
      seqsOf(h.outcomes),
      entries.map((e) => e.seq),
    );
    for (const o of h.outcomes) {
      assert.equal(o.kind, 'kill');
      if (o.kind === 'kill') {
        assert.equal(o.kill.killmailId, 10_000 + o.seq - 1);
        assert.equal(JSON.parse(o.kill.json).killmail_id, o.kill.killmailId);
        assert.equal(o.source, 'r2z2');
      }
    }
    assert.equal(h.counters.get('pipeline.received'), N);
    assert.equal(h.counters.get('pipeline.parsed'), N);
    assert.ok(waits > 0, 'a 64 KiB ring cannot hold 3000 entries: push returned false at least once');
    const s = h.pipeline.stats();
    assert.equal(s.lanes, 2);
    assert.equal(s.threads, 2);
    assert.equal(s.queueDepthEntries, 0);
    assert.equal(h.pipeline.health().healthy, true);
    t.diagnostic(`feed waited ${waits} times; utilisation ${s.workerUtilisation.toFixed(3)}`);
  });

  test('bad input through the pool: each counted with its reason, never stops the pipeline', async (t) => {
    // esi_fetch: the default worker fetches from esiUrl; a closed loopback port refuses at once.
    const h = await startPipeline(t, { maxEntryBytes: 64 * 1024, esiUrl: 'http://127.0.0.1:9' });
    const bodies: [Uint8Array, string][] = [
      [bytes('{"killmail_id":'), 'json'],
      [bytes('[]'), 'shape'],
      [bytes(esiKillmail(1, { victim: undefined })), 'missing_field'],
      [bytes(esiKillmail(1, { solar_system_id: 'Jita' })), 'wrong_type'],
      [bytes('x'.repeat(70 * 1024)), 'too_large'],
      [bytes({ package: { killID: 9, zkb: { hash: 'h' } } }), 'esi_fetch'],
      [bytes(r2z2Entry(77)), 'kill'],
    ];
    await pushAll(
      h.pipeline,
      bodies.map(([b], i) => entry(b, i + 1)),
    );
    await h.waitFor(bodies.length);
    const bySeq = new Map(h.outcomes.map((o) => [o.seq, o.kind === 'kill' ? 'kill' : o.reason]));
    bodies.forEach(([, expected], i) => assert.equal(bySeq.get(i + 1), expected, `entry ${i + 1}`));
    for (const reason of ['json', 'shape', 'missing_field', 'wrong_type', 'too_large', 'esi_fetch']) {
      assert.equal(h.counters.get(`pipeline.failed.${reason}`), 1, reason);
    }
    assert.equal(h.counters.get('pipeline.failed'), 6);
    assert.equal(h.counters.get('pipeline.parsed'), 1);
    assert.equal(h.counters.get('pipeline.received'), bodies.length);
  });

  test('an entry too large for the rings runs as a task of its own: its outcome, cutoff and seq kept, the lanes go on', async (t) => {
    // 64 KiB rings: entries over 16 KiB go directly (pool.ts directAboveBytes).
    const h = await startPipeline(t, { ringBytes: 64 * 1024, maxEntryBytes: 512 * 1024 });
    const big = bytes(crowdedKillmail(1, 1500));
    assert.ok(big.byteLength > 64 * 1024, `a ${big.byteLength}-byte entry is larger than a whole ring`);
    const cutoff = Date.UTC(2026, 0, 2);
    const smalls = Array.from({ length: 200 }, (_, i) => entry(bytes(r2z2Entry(i + 2)), i + 2));
    await pushAll(h.pipeline, [entry(big, 1, 'r2z2', cutoff), ...smalls, entry(big, 500, 'r2z2', 0)]);
    await h.waitFor(202);
    const bySeq = new Map(h.outcomes.map((o) => [o.seq, o]));
    assert.equal(bySeq.size, 202, 'every entry exactly once');
    const first = bySeq.get(1);
    const last = bySeq.get(500);
    assert.ok(first?.kind === 'kill' && first.older === true, JSON.stringify(first).slice(0, 300));
    assert.ok(first.kill.characterIds.includes(90000000) && first.kill.characterIds.includes(90001499), 'every attacker kept');
    assert.ok(last?.kind === 'kill' && last.older === false && last.kill.killmailId === 1);
    assert.ok(h.outcomes.every((o) => o.kind === 'kill'));
    assert.equal(h.counters.get('pipeline.direct'), 2);
    assert.equal(h.counters.get('pipeline.received'), 202);
    assert.equal(h.pipeline.stats().direct, 2);
    assert.equal(h.pipeline.stats().queueDepthEntries, 0);
  });

  test('older kills are flagged and counted; sequence_updated sets replace', async (t) => {
    const h = await startPipeline(t);
    const cutoff = Date.UTC(2026, 0, 2);
    await pushAll(h.pipeline, [
      entry(bytes(r2z2Entry(1)), 1, 'r2z2', cutoff),
      entry(bytes(r2z2Entry(2, { sequence_updated: 10 })), 2, 'r2z2', 0),
    ]);
    await h.waitFor(2);
    const [a, b] = [...h.outcomes].sort((x, y) => x.seq - y.seq);
    assert.ok(a?.kind === 'kill' && a.older === true);
    assert.ok(b?.kind === 'kill' && b.older === false && b.kill.replace === true);
    assert.equal(h.counters.get('pipeline.older'), 1);
  });

  test('transcode on and off: the same outcomes for the same entries, good, odd and bad, in any mix', async (t) => {
    const bodies = [
      bytes(r2z2Entry(1)),
      bytes(r2z2Entry(2, { sequence_updated: 10 })),
      bytes({ ...esiKillmail(3), killmail_hash: 'h3' }),
      bytes(crowdedKillmail(4, 300)),
      new TextEncoder().encode(JSON.stringify(r2z2Entry(5)).replace('"hash":"', '"hash":"\\u0061')), // an escape: the general path
      bytes({ package: { killID: 6, killmail: esiKillmail(6) } }), // RedisQ: the general path
      new TextEncoder().encode('{"killmail_id":7,'), // truncated: a json failure
      bytes(esiKillmail(8, { attackers: 'none' })), // wrong_type
    ];
    const entries = Array.from({ length: 400 }, (_, i) =>
      entry(bodies[i % bodies.length] as Uint8Array, i + 1, 'r2z2', Date.UTC(2026, 0, 2)),
    );
    const runs = [];
    for (const transcode of [true, false]) {
      const h = await startPipeline(t, { transcode });
      await pushAll(h.pipeline, entries);
      await h.waitFor(entries.length);
      runs.push(
        [...h.outcomes].sort((a, b) => a.seq - b.seq).map((o) => (o.kind === 'kill' ? { ...o, kill: { ...o.kill, receivedAtUs: 0 } } : o)),
      );
    }
    assert.deepEqual(runs[0], runs[1]);
    assert.equal(runs[0]?.filter((o) => o.kind === 'kill').length, 300);
  });

  test('runOne and reenrich (enrich off)', async (t) => {
    const h = await startPipeline(t);
    const ok = await h.pipeline.runOne(bytes({ ...esiKillmail(4242), zkb: { hash: 'q', totalValue: 5 } }), 'esi');
    assert.equal(ok.kind, 'kill');
    assert.ok(ok.kind === 'kill' && ok.kill.killmailId === 4242 && ok.kill.totalValue === 5 && ok.kill.enriched === false);
    const bad = await h.pipeline.runOne(bytes('nope'), 'esi');
    assert.ok(bad.kind === 'failed' && bad.reason === 'json');
    assert.equal(h.counters.get('pipeline.received'), 0, 'runOne is outside feed ingest counters');
    const json = ok.kind === 'kill' ? ok.kill.json : '';
    assert.deepEqual(await h.pipeline.reenrich(json), { json, enriched: false });
  });

  test('stop() drains in-flight entries, then push is refused', async (t) => {
    const h = await startPipeline(t);
    await pushAll(
      h.pipeline,
      Array.from({ length: 200 }, (_, i) => entry(bytes(r2z2Entry(i + 1)), i + 1)),
    );
    await h.pipeline.stop();
    assert.equal(h.outcomes.length, 200, 'every pushed entry reached an outcome before stop resolved');
    assert.equal(h.pipeline.health().healthy, false);
    assert.equal(h.pipeline.push(entry(bytes(r2z2Entry(1)), 1)), false);
    await assert.rejects(h.pipeline.whenWritable(), (err: unknown) => hasCode(err, 'ERR_PIPELINE_STOPPED'));
    await assert.rejects(h.pipeline.runOne(bytes('{}'), 'esi'), (err: unknown) => hasCode(err, 'ERR_PIPELINE_STOPPED'));
  });

  test('a worker file that cannot load fails start()', async () => {
    const p = createPipeline({
      config: testConfig({ workers: 1, enrich: false }),
      logger: silentLogger(),
      counters: new Counters(),
      workerFile: new URL('../../fixtures/does-not-exist.worker.ts', import.meta.url).href,
    });
    await assert.rejects(p.start(), (err: unknown) => hasCode(err, 'ERR_PIPELINE_WORKER_CRASH'));
  });
});
