// Webhook delivery throughput (bench/push/run.ts webhooks): the real outbox (rows written in the
// store's batch transaction) and delivery (undici pool, batching) against a plain baseline that
// POSTs each kill to each matching subscription with one fetch, no batching. Both run in this
// process, one after the other; the receiver runs in its own (bench/push/receiver.ts).
import { fileURLToPath } from 'node:url';
import { testConfig } from '../../src/config/index.js';
import type { KillRecord } from '../../src/core/killmail.js';
import { createWebhooks } from '../../src/fanout/index.js';
import { openStore } from '../../src/store/index.js';
import { Counters, silentLogger } from '../../src/telemetry/index.js';
import { printTable } from '../common.js';
import { driverRecord, makeKill, rng } from '../fanout/driver.js';
import { ask, child, pct } from '../ipc.js';

export interface WebhookBenchOptions {
  subs: number;
  kills: number;
  baselineKills: number;
  hosts: number;
  pool: readonly number[];
}

interface Sub {
  url: string;
  systems: number[];
}

function kills(n: number, pool: readonly number[], seed: number): KillRecord[] {
  const random = rng(seed);
  return Array.from({ length: n }, (_, i) =>
    driverRecord(makeKill(seed * 1_000_000 + i + 1, pool[Math.floor(random() * pool.length)]!, 'b', random)),
  );
}

function expectedDeliveries(subs: readonly Sub[], records: readonly KillRecord[]): number {
  const bySystem = new Map<number, number>();
  for (const s of subs) for (const id of s.systems) bySystem.set(id, (bySystem.get(id) ?? 0) + 1);
  return records.reduce((sum, r) => sum + (bySystem.get(r.systemId) ?? 0), 0);
}

type Report = { kills: number; posts: number; latencies: number[] };

async function waitForAll(receiver: ReturnType<typeof child>, expected: number, t0: number): Promise<{ seconds: number; report: Report }> {
  for (;;) {
    const report = await ask<Report>(receiver, { type: 'report' }, 'report');
    if (report.kills >= expected || performance.now() - t0 > 300_000) return { seconds: (performance.now() - t0) / 1000, report };
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Writes the kills (their outbox rows with them); resolves with the cleanup to run once all arrived. */
async function ours(subs: readonly Sub[], records: readonly KillRecord[]): Promise<() => Promise<void>> {
  const config = testConfig({ allowPrivateWebhooks: true, webhookBatchMs: 1000, logLevel: 'silent' });
  const store = openStore({ path: ':memory:', retentionHours: 0 });
  const webhooks = createWebhooks({ config, logger: silentLogger(), counters: new Counters(), store: store.webhooks });
  store.writer.setOutbox(webhooks);
  for (const [i, s] of subs.entries())
    webhooks.create({ subscriberId: `bench-${i}`, callbackUrl: s.url, systemIds: s.systems, characterIds: [], secret: 'bench-secret' });
  webhooks.start();
  for (let i = 0; i < records.length; i += 50) {
    store.writer.writeBatch(records.slice(i, i + 50));
    await new Promise((r) => setImmediate(r));
  }
  return async () => {
    await webhooks.stop();
    store.close();
  };
}

async function baseline(subs: readonly Sub[], records: readonly KillRecord[]): Promise<() => Promise<void>> {
  let inFlight = 0;
  const waiters: (() => void)[] = [];
  const post = async (url: string, body: string): Promise<void> => {
    while (inFlight >= 256) await new Promise<void>((r) => waiters.push(r));
    inFlight++;
    try {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      await res.arrayBuffer();
    } finally {
      inFlight--;
      waiters.shift()?.();
    }
  };
  const all: Promise<void>[] = [];
  for (const r of records) {
    const body = `{"type":"killmail_update","system_id":${r.systemId},"kills":[${r.json}],"timestamp":"${new Date().toISOString()}"}`;
    for (const s of subs) if (s.systems.includes(r.systemId)) all.push(post(s.url, body));
  }
  await Promise.all(all);
  return () => Promise.resolve();
}

export async function runWebhooks(o: WebhookBenchOptions): Promise<void> {
  const receiver = child(fileURLToPath(new URL('./receiver.ts', import.meta.url)), [String(o.hosts)]);
  const { ports } = await ask<{ ports: number[] }>(receiver, undefined, 'listening');
  const random = rng(7);
  const subs: Sub[] = Array.from({ length: o.subs }, (_, i) => {
    const s = new Set<number>();
    while (s.size < 5) s.add(o.pool[Math.floor(random() * o.pool.length)]!);
    return { url: `http://127.0.0.1:${ports[i % ports.length]}/hook/${i}`, systems: [...s] };
  });
  const rows: Record<string, string | number>[] = [];
  for (const [name, n, run] of [
    ['wanderer-kills (outbox, batched)', o.kills, ours],
    ['baseline (fetch per kill per subscription)', o.baselineKills, baseline],
  ] as const) {
    const records = kills(n, o.pool, name.startsWith('base') ? 2 : 1);
    const expected = expectedDeliveries(subs, records);
    await ask(receiver, { type: 'reset' }, 'reset');
    const t0 = performance.now();
    const running = run(subs, records);
    const { seconds, report } = await waitForAll(receiver, expected, t0);
    await (
      await running
    )();
    const lat = report.latencies.sort((x, y) => x - y);
    rows.push({
      sender: name,
      subscriptions: o.subs,
      kills: n,
      'delivered/expected': `${report.kills}/${expected}`,
      POSTs: report.posts,
      seconds: seconds.toFixed(2),
      'kills/s': (n / seconds).toFixed(1),
      'deliveries/s': Math.round(report.kills / seconds),
      'p50 ms': (pct(lat, 50) / 1000).toFixed(0),
      'p99 ms': (pct(lat, 99) / 1000).toFixed(0),
    });
  }
  printTable('Webhook delivery to a loopback receiver', rows);
  const k = rows.map((r) => Number(r['kills/s']));
  process.stdout.write(`ratio kills/s ours / baseline: ${((k[0] ?? 0) / (k[1] || 1)).toFixed(1)}x\n`);
  receiver.send({ type: 'stop' });
}
