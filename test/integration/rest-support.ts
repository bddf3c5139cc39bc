// Shared by test/integration/rest-*.test.ts: canonical kills (docs/API.md#the-canonical-killmail), a real store
// (src/store openStore) behind a real uWS server on port 0, and raw-socket HTTP for the cases
// fetch cannot express (HEAD, disconnects, bodies without Content-Length).
import net from 'node:net';
import type { CanonicalAttacker, CanonicalKillmail, KillRecord } from '../../src/core/killmail.js';
import type { HealthCheck, KillFetcher, WsStats } from '../../src/core/ports.js';
import { testConfig } from '../../src/config/index.js';
import { Counters, silentLogger } from '../../src/telemetry/index.js';
import { openStore, type Store } from '../../src/store/index.js';
import { createHttpServer, type HttpServer } from '../../src/http/index.js';

export const HOUR_MS = 3_600_000;

/** A canonical killmail with every optional key either filled or absent (never null). */
export function canonicalKill(id: number, systemId: number, killTimeMs: number, attackerCount = 3): CanonicalKillmail {
  const attackers: CanonicalAttacker[] = [];
  for (let a = 0; a < attackerCount; a++) {
    attackers.push({
      character_id: 2_100_000_000 + ((id * 7 + a) % 100_000),
      character_name: `Pilot ${id}-${a}`,
      corporation_id: 98_000_000 + a,
      corporation_name: `Corp ${a}`,
      corporation_ticker: `C${a}`,
      ...(a % 2 === 0 ? { alliance_id: 99_000_000 + a, alliance_name: `Alliance ${a}`, alliance_ticker: `A${a}` } : {}),
      ship_type_id: 621,
      ship_name: 'Caracal',
      weapon_type_id: 2185,
      damage_done: 100 + a,
      final_blow: a === 0,
      security_status: -1.5 + a / 10,
    });
  }
  return {
    killmail_id: id,
    kill_time: new Date(killTimeMs).toISOString().replace('.000Z', 'Z'),
    system_id: systemId,
    solar_system_name: `System ${systemId}`,
    region_id: 10_000_002,
    security_status: 0.9,
    victim: {
      character_id: 2_000_000_000 + id,
      character_name: `Victim ${id}`,
      corporation_id: 98_100_000,
      corporation_name: 'Victim Corp',
      corporation_ticker: 'VC',
      ship_type_id: 587,
      ship_name: 'Rifter',
      ship_group_id: 25,
      ship_group_name: 'Frigate',
      damage_taken: 2847,
      position: { x: 1.5, y: -2.25, z: 3e12 },
    },
    attackers,
    attacker_count: attackers.length,
    zkb: {
      locationID: 40_009_082,
      hash: `h${id.toString(16)}`,
      fittedValue: 1.0e7,
      droppedValue: 0,
      destroyedValue: 1.0e7,
      totalValue: 1.0e7 + id,
      points: 1,
      npc: false,
      solo: attackerCount === 1,
      awox: false,
      labels: ['pvp'],
    },
  };
}

export function recordOf(kill: CanonicalKillmail): KillRecord {
  const chars = new Set<number>();
  if (kill.victim.character_id) chars.add(kill.victim.character_id);
  for (const a of kill.attackers) if (a.character_id) chars.add(a.character_id);
  return {
    killmailId: kill.killmail_id,
    systemId: kill.system_id,
    killTimeMs: Date.parse(kill.kill_time),
    characterIds: [...chars],
    victimCharacterId: kill.victim.character_id ?? 0,
    totalValue: kill.zkb?.totalValue ?? 0,
    npc: kill.zkb?.npc ?? false,
    json: JSON.stringify(kill),
    replace: false,
    enriched: true,
    receivedAtUs: 0,
  };
}

export interface RestFixture {
  base: string;
  port: number;
  server: HttpServer;
  store: Store;
  counters: Counters;
  close(): Promise<void>;
}

export interface RestOptions {
  kills?: readonly CanonicalKillmail[];
  fetchKill?: KillFetcher;
  health?: Record<string, HealthCheck>;
  wsStats?: () => WsStats;
  corsOrigins?: string;
}

export async function startRest(opts: RestOptions = {}): Promise<RestFixture> {
  const store = openStore({ path: ':memory:', retentionHours: 0 });
  if (opts.kills && opts.kills.length > 0) {
    const outcomes = store.writer.writeBatch(opts.kills.map(recordOf));
    if (outcomes.some((o) => o !== 'stored')) throw new Error(`fixture kills not stored: ${outcomes.join(',')}`);
  }
  const counters = new Counters();
  const config = testConfig({ host: '127.0.0.1', port: 0, logLevel: 'silent', corsOrigins: opts.corsOrigins ?? '*' });
  const server = createHttpServer({
    config,
    logger: silentLogger(),
    counters,
    reader: store.reader,
    health: opts.health ?? { store: () => store.health() },
    ...(opts.fetchKill ? { fetchKill: opts.fetchKill } : {}),
    ...(opts.wsStats ? { wsStats: opts.wsStats } : {}),
  });
  const port = await server.start();
  return {
    base: `http://127.0.0.1:${port}`,
    port,
    server,
    store,
    counters,
    async close() {
      server.stop();
      await store.stop();
    },
  };
}

export interface RawResponse {
  status: number;
  headers: Map<string, string>;
  body: Buffer;
}

/** Parse one HTTP/1.1 response with Content-Length (what our server always sends). */
export function parseResponse(buf: Buffer, head = false): RawResponse | undefined {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(lines[0]!.split(' ')[1]);
  const headers = new Map<string, string>();
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    headers.set(l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim());
  }
  const length = head || status === 204 ? 0 : Number(headers.get('content-length') ?? 0);
  if (buf.length < end + 4 + length) return undefined;
  return { status, headers, body: buf.subarray(end + 4, end + 4 + length) };
}

/**
 * Send raw bytes (all at once, or as the given chunks) and resolve with the first complete
 * response, or with what arrived when the server closed the connection. Deadline-bounded.
 */
export function rawRequest(
  port: number,
  data: string | readonly (string | Buffer)[],
  opts: { head?: boolean; timeoutMs?: number } = {},
): Promise<RawResponse & { closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    let settled = false;
    const finish = (closed: boolean): void => {
      if (settled) return;
      const parsed = parseResponse(buf, opts.head === true);
      if (!parsed && !closed) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      if (parsed) resolve({ ...parsed, closed });
      else reject(new Error(`connection closed without a complete response (${buf.length} bytes)`));
    };
    const timer = setTimeout(() => {
      socket.destroy();
      if (!settled) reject(new Error(`raw request timed out with ${buf.length} bytes`));
      settled = true;
    }, opts.timeoutMs ?? 5000);
    socket.on('data', (d) => {
      buf = Buffer.concat([buf, d]);
      finish(false);
    });
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    const parts = typeof data === 'string' ? [data] : data;
    for (const p of parts) socket.write(p);
  });
}

export async function getJson(url: string, init?: RequestInit): Promise<{ status: number; headers: Headers; body: any }> {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text === '' ? null : JSON.parse(text) };
}
