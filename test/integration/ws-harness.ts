// Shared harness of the ws-*.test.ts files: a real uWS app with the fan-out hub attached, a real
// SQLite store (':memory:'), kills written to the store then published on the bus (as app.ts
// does), raw `ws` clients with a message queue, and the official phoenix client.
import { once } from 'node:events';
import uWS from 'uWebSockets.js';
import WebSocket from 'ws';
import { Socket } from 'phoenix';
import type { BusKill, KillBus } from '../../src/core/ports.js';
import type { KillRecord } from '../../src/core/killmail.js';
import { epochUs } from '../../src/core/clock.js';
import { testConfig, type ConfigKey } from '../../src/config/index.js';
import { Counters, silentLogger } from '../../src/telemetry/index.js';
import { openStore, type Store } from '../../src/store/index.js';
import { createBus, createFanout, type Fanout } from '../../src/fanout/index.js';

export interface Harness {
  port: number;
  url: string;
  store: Store;
  bus: KillBus;
  fanout: Fanout;
  counters: Counters;
  /** Store the kills, then publish them on the bus; returns the bus kills. */
  publish(records: KillRecord[]): BusKill[];
  close(): Promise<void>;
}

export async function startHarness(overrides: Partial<Record<ConfigKey, unknown>> = {}, nowMs?: () => number): Promise<Harness> {
  const config = testConfig({ port: 0, db: ':memory:', ...overrides });
  const counters = new Counters();
  const logger = silentLogger();
  const store = openStore({ path: ':memory:', retentionHours: 0, counters });
  const bus = createBus({ counters, logger });
  const fanout = createFanout({ config, logger, counters, reader: store.reader, bus, ...(nowMs && { nowMs }) });
  const app = uWS.App();
  fanout.attach(app);
  fanout.start();
  const listenSocket = await new Promise<uWS.us_listen_socket>((resolve, reject) => {
    app.listen('127.0.0.1', 0, (ls) => (ls ? resolve(ls) : reject(new Error('listen failed'))));
  });
  const port = uWS.us_socket_local_port(listenSocket);
  return {
    port,
    url: `ws://127.0.0.1:${port}/socket`,
    store,
    bus,
    fanout,
    counters,
    publish(records) {
      store.writer.writeBatch(records);
      bus.publish(records); // as app.ts does: a stored KillRecord is a BusKill
      return records;
    },
    async close() {
      fanout.stop();
      uWS.us_listen_socket_close(listenSocket);
      (app as unknown as { close(): void }).close();
      store.close();
    },
  };
}

export interface KillSpec {
  id: number;
  systemId: number;
  victim?: number;
  attackers?: number[];
  /** Minutes before now (default 1). */
  agoMin?: number;
}

/** A canonical killmail (the normaliser's key order) and its store record. */
export function makeKill(spec: KillSpec): KillRecord {
  const killTimeMs = Date.now() - (spec.agoMin ?? 1) * 60_000;
  const attackers = (spec.attackers ?? [95_000_001]).map((id, i) => ({
    character_id: id,
    corporation_id: 98_000_001,
    ship_type_id: 587,
    damage_done: 100,
    final_blow: i === 0,
    security_status: 0.5,
  }));
  const victim = spec.victim;
  const km = {
    killmail_id: spec.id,
    kill_time: new Date(killTimeMs).toISOString(),
    system_id: spec.systemId,
    solar_system_name: `S${spec.systemId}`,
    victim: { ...(victim !== undefined && { character_id: victim }), corporation_id: 98_000_002, ship_type_id: 670, damage_taken: 100 },
    attackers,
    attacker_count: attackers.length,
    zkb: {
      locationID: 40_000_001,
      hash: 'abc',
      fittedValue: 10,
      droppedValue: 5,
      destroyedValue: 5,
      totalValue: 10,
      points: 1,
      npc: false,
      solo: attackers.length === 1,
      awox: false,
      labels: [],
    },
  };
  const characterIds = [...new Set([...(victim !== undefined ? [victim] : []), ...(spec.attackers ?? [95_000_001])])];
  return {
    killmailId: spec.id,
    systemId: spec.systemId,
    killTimeMs,
    characterIds,
    victimCharacterId: victim ?? 0,
    totalValue: 10,
    npc: false,
    json: JSON.stringify(km),
    replace: false,
    enriched: true,
    receivedAtUs: epochUs(),
  };
}

/** A raw `ws` client with a queue of parsed frames and deadline-bound waits. */
export class RawClient {
  readonly ws: WebSocket;
  readonly frames: unknown[] = [];
  private waiters: Array<() => void> = [];
  closed: { code: number; reason: string } | undefined;

  constructor(url: string) {
    this.ws = new WebSocket(url);
    this.ws.on('message', (data, isBinary) => {
      this.frames.push(isBinary ? data : JSON.parse(String(data)));
      this.wake();
    });
    this.ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
    this.ws.on('error', () => this.wake());
  }

  static async open(url: string): Promise<RawClient> {
    const c = new RawClient(url);
    await once(c.ws, 'open');
    return c;
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' || Buffer.isBuffer(frame) ? frame : JSON.stringify(frame));
  }

  /** Wait for (and remove) the first frame matching `pred`. */
  async next(pred: (f: unknown) => boolean, timeoutMs = 5000): Promise<unknown> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.frames.findIndex(pred);
      if (i >= 0) return this.frames.splice(i, 1)[0];
      const left = deadline - Date.now();
      if (left <= 0 || this.closed)
        throw new Error(
          `no matching frame within ${timeoutMs} ms (closed: ${JSON.stringify(this.closed)}; have ${JSON.stringify(this.frames).slice(0, 500)})`,
        );
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  async waitClose(timeoutMs = 5000): Promise<{ code: number; reason: string }> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`socket not closed within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
    return this.closed;
  }

  close(): void {
    if (!this.closed) this.ws.terminate();
  }
}

/** V2 frame helpers: `[join_ref, ref, topic, event, payload]`. */
export const isReply = (ref: string) => (f: unknown) => Array.isArray(f) && f[1] === ref && f[3] === 'phx_reply';
export const isEvent = (event: string) => (f: unknown) => Array.isArray(f) && f[3] === event;

export function phoenixSocket(url: string, params: Record<string, unknown> = {}): Socket {
  return new Socket(url, { transport: WebSocket as unknown as new (endpoint: string) => object, params, heartbeatIntervalMs: 30_000 });
}

/** Resolve when `check()` is true, polling on a short timer until the deadline. */
export async function waitFor(check: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
