// The result sink's state machine (sink-state.ts) and the sink driven through it: a store that
// refuses writes moves it running → backlogged → paused (the feed gate closes), recovery drains
// the backlog in order and reopens the gate, stop() ends in `stopped` with nothing written after.
// The store is the real one on ':memory:' behind a switch that makes writeBatch throw; the feed
// and the pipeline are scripted stand-ins (unit test).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Feed, IngestSink, KillWriter, PipelineOutcome, RawEntry } from '../../../src/core/ports.js';
import { createResultSink, type ResultSink } from '../../../src/ingest/index.js';
import { SINK_TRANSITIONS, transition, type SinkState } from '../../../src/ingest/sink-state.js';
import { openStore, type Store } from '../../../src/store/index.js';
import { Counters, LatencyHistogram, initHistograms, silentLogger } from '../../../src/telemetry/index.js';
import { makeKill } from '../store/helpers.js';

const STATES: readonly SinkState[] = ['running', 'backlogged', 'paused', 'stopping', 'stopped'];

test('transition() allows exactly the moves of the table, and staying put', () => {
  for (const from of STATES) {
    for (const to of STATES) {
      const allowed = from === to || SINK_TRANSITIONS[from].includes(to);
      if (allowed) assert.equal(transition(from, to), to);
      else assert.throws(() => transition(from, to), new RegExp(`from ${from} to ${to}`));
    }
  }
  assert.deepEqual(SINK_TRANSITIONS.stopped, [], 'stopped is final');
});

interface Rig {
  sink: ResultSink;
  store: Store;
  gate: IngestSink;
  acked: number[];
  published: number[];
  failWrites(on: boolean): void;
  cleanup(): void;
}

async function rig(opts: { pauseFeedAt?: number; retentionHours?: number } = {}): Promise<Rig> {
  await initHistograms();
  const store = openStore({ path: ':memory:', retentionHours: 0 });
  let failing = false;
  const writer: KillWriter = {
    writeBatch: (records) => {
      if (failing) throw new Error('SQLITE_READONLY');
      return store.writer.writeBatch(records);
    },
    updateJson: (id, json, enriched) => store.writer.updateJson(id, json, enriched),
    deadLetter: (e) => store.writer.deadLetter(e),
  };
  const acked: number[] = [];
  const feed: Feed = { name: 'test', start: async () => {}, stop: async () => {}, ack: (seq) => acked.push(seq), stats: () => ({}) };
  const pipelinePushes: RawEntry[] = [];
  const pipeline = {
    push: (e: RawEntry) => pipelinePushes.push(e) > 0,
    whenWritable: () => Promise.resolve(),
    reenrich: (json: string) => Promise.resolve({ json, enriched: true }),
  };
  const published: number[] = [];
  const bus = {
    publish: (kills: readonly { killmailId: number }[]) => void published.push(...kills.map((k) => k.killmailId)),
    subscribe: () => () => {},
  };
  const latency = new LatencyHistogram();
  const sink = createResultSink({
    writer,
    cursors: store.cursors,
    pipeline,
    bus,
    counters: new Counters(),
    logger: silentLogger(),
    feed: () => feed,
    latency,
    enrich: false,
    cutoffSeconds: 0,
    retentionHours: opts.retentionHours ?? 0,
    pauseFeedAt: opts.pauseFeedAt ?? 4,
  });
  return {
    sink,
    store,
    gate: sink.gate(pipeline),
    acked,
    published,
    failWrites: (on) => (failing = on),
    cleanup: () => {
      void sink.stop();
      store.close();
      latency.destroy();
    },
  };
}

function kills(from: number, n: number, killTimeMs?: number): PipelineOutcome[] {
  return Array.from({ length: n }, (_, i) => {
    const kill = makeKill({ id: from + i, ...(killTimeMs !== undefined && { killTimeMs }) });
    return { kind: 'kill', kill, older: false, seq: from + i, source: 'r2z2' } as const;
  });
}

const turn = (): Promise<void> => new Promise((r) => setImmediate(r));
const entry: RawEntry = { source: 'r2z2', body: new Uint8Array([123, 125]), seq: 1, receivedAtUs: 0, cutoffMs: 0 };

test('a failing store: backlogged, then paused past pauseFeedAt; recovery stores all in order and reopens the feed', async () => {
  const r = await rig({ pauseFeedAt: 4 });
  r.failWrites(true);
  r.sink.onOutcomes(kills(1, 2));
  await turn();
  assert.equal(r.sink.state(), 'backlogged');
  assert.equal(r.sink.stats().store_errors, 1);
  assert.deepEqual(r.acked, [], 'nothing acknowledged while not written');
  assert.equal(r.gate.push(entry), true, 'below pauseFeedAt the feed still pushes');

  r.sink.onOutcomes(kills(3, 3));
  await turn();
  assert.equal(r.gate.push(entry), false, 'past pauseFeedAt the gate is closed');
  assert.equal(r.sink.state(), 'paused');
  assert.equal(r.sink.stats().feed_pauses, 1);
  let reopened = false;
  void r.gate.whenWritable().then(() => (reopened = true));

  r.failWrites(false);
  // The back-off timer retries (first delay 500 ms).
  const deadline = Date.now() + 5000;
  while (r.sink.state() !== 'running' && Date.now() < deadline) await new Promise((res) => setTimeout(res, 20));
  assert.equal(r.sink.state(), 'running');
  await turn();
  assert.equal(reopened, true, 'the feed waiting in whenWritable() resumes');
  assert.deepEqual(r.acked, [1, 2, 3, 4, 5]);
  assert.deepEqual(r.published, [1, 2, 3, 4, 5]);
  assert.equal(r.sink.stats().stored, 5);
  r.cleanup();
  assert.equal(r.sink.state(), 'stopped');
});

test('stop(): a last flush, then stopped; outcomes after that are never written', async () => {
  const r = await rig();
  r.sink.onOutcomes(kills(1, 3));
  void r.sink.stop(); // before the scheduled flush ran
  assert.equal(r.sink.state(), 'stopped');
  assert.equal(r.sink.stats().stored, 3, 'the pending batch was written by stop()');
  r.sink.onOutcomes(kills(10, 2));
  await turn();
  assert.equal(r.sink.stats().stored, 3);
  assert.equal(r.store.reader.killById(10), undefined);
  r.store.close();
});

test('a kill past the retention window is expired: acknowledged, not written, not published', async () => {
  const r = await rig({ retentionHours: 1 });
  const old = Date.now() - 2 * 3_600_000;
  r.sink.onOutcomes([...kills(1, 2, old), ...kills(3, 1)]);
  await turn();
  assert.equal(r.sink.stats().expired, 2);
  assert.equal(r.sink.stats().stored, 1);
  assert.deepEqual(r.published, [3]);
  assert.deepEqual(r.acked, [1, 2, 3]);
  assert.equal(r.store.reader.killById(1), undefined);
  r.cleanup();
});
