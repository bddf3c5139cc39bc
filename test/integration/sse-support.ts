// Shared by test/integration/sse-*.test.ts and webhooks-*.test.ts: the real app fed by the
// in-process simulator (rate 0, kills published on demand), the npm `eventsource` client
// collecting typed events, and raw HTTP streams for headers, limits and slow readers.
import http from 'node:http';
import net from 'node:net';
import { EventSource } from 'eventsource';
import { createApp, type App } from '../../src/app.js';
import { testConfig, type ConfigKey } from '../../src/config/index.js';
import { silentLogger } from '../../src/telemetry/index.js';
import { FAST_FEEDS } from '../fixtures/ingest-harness.js';

export interface Kill {
  killmail_id: number;
  system_id: number;
  victim: { character_id?: number };
  attackers: { character_id?: number }[];
  zkb?: { totalValue?: number };
}

export async function startSimApp(overrides: Partial<Record<ConfigKey, unknown>> = {}): Promise<App> {
  const config = testConfig({
    source: 'sim',
    simRate: 0,
    host: '127.0.0.1',
    port: 0,
    db: ':memory:',
    workers: 1,
    logLevel: 'silent',
    statusIntervalSeconds: 0,
    ...overrides,
  });
  // Loopback feed timings (a 200 ms idle wait at the tip instead of the live 6 s): each publish
  // reaches the store in well under a second, even on a loaded machine.
  const app = await createApp(config, {
    logger: silentLogger(),
    sim: { rate: 0 },
    feedTuning: { r2z2: { ...FAST_FEEDS.r2z2, idleWaitMs: 200 } },
  });
  await app.start();
  // The R2Z2 reader starts at the tip it reads first: kills published before that read are skipped.
  await waitFor(() => Number(app.feed?.stats().requests ?? 0) >= 2, 10_000, 'the feed reading the simulator');
  return app;
}

export interface SseEvent {
  type: string;
  id: string;
  data: string;
}

/** An EventSource collecting every named event we emit, in order. */
export class Collector {
  readonly es: EventSource;
  readonly events: SseEvent[] = [];
  errors = 0;

  constructor(url: string, init?: ConstructorParameters<typeof EventSource>[1]) {
    this.es = new EventSource(url, init);
    for (const type of ['killmail', 'connected', 'batch', 'transition', 'heartbeat']) {
      this.es.addEventListener(type, (e) => this.events.push({ type, id: e.lastEventId, data: e.data }));
    }
    this.es.onerror = () => {
      this.errors++;
    };
  }

  opened(): Promise<void> {
    if (this.es.readyState === EventSource.OPEN) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.es.addEventListener('open', () => resolve(), { once: true });
      this.es.addEventListener('error', (e) => reject(new Error(`EventSource error: ${String((e as { message?: string }).message)}`)), {
        once: true,
      });
    });
  }

  kills(): Kill[] {
    return this.events.filter((e) => e.type === 'killmail').map((e) => JSON.parse(e.data) as Kill);
  }

  killIds(): number[] {
    return this.kills().map((k) => k.killmail_id);
  }

  close(): void {
    this.es.close();
  }
}

export async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Publish `n` simulator kills and wait until `count()` grew by n (they went through the pipeline). */
export async function publish(app: App, n: number): Promise<void> {
  const before = app.results.stats().stored ?? 0;
  const published = app.sim?.publish(n) ?? 0;
  if (published !== n) throw new Error(`simulator published ${published} of ${n}`);
  await waitFor(() => (app.results.stats().stored ?? 0) >= before + n, 60_000, `${n} kills stored`).catch((err: unknown) => {
    // Say where they are: the feed's state and the sink's totals.
    throw new Error(`${(err as Error).message}; feed ${JSON.stringify(app.status().feed)}; ingest ${JSON.stringify(app.results.stats())}`);
  });
}

export function characterIdsOf(k: Kill): number[] {
  const ids = [k.victim.character_id, ...k.attackers.map((a) => a.character_id)];
  return ids.filter((x): x is number => typeof x === 'number' && x > 0);
}

export interface RawStream {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: () => string;
  res: http.IncomingMessage;
  close(): void;
}

/** A raw GET that keeps the response open (headers, limits, slow readers). */
export function rawGet(url: string, headers: Record<string, string> = {}): Promise<RawStream> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('error', () => undefined);
      resolve({ status: res.statusCode ?? 0, headers: res.headers, body: () => text, res, close: () => req.destroy() });
    });
    req.on('error', reject);
  });
}

/** A TCP proxy we can cut, so EventSource sees a dropped connection and reconnects by itself. */
export function cuttableProxy(targetPort: number): Promise<{ port: number; cut(): void; close(): void }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(targetPort, '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => sockets.delete(s));
    }
    client.pipe(upstream).pipe(client);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: (server.address() as net.AddressInfo).port,
        cut: () => {
          for (const s of sockets) s.destroy();
        },
        close: () => {
          for (const s of sockets) s.destroy();
          server.close();
        },
      });
    });
  });
}
