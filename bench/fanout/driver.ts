// Kill driver shared by the fan-out bench servers (ours and the baseline): canonical-shaped
// killmail JSON texts stamped at "ingest", paced at a fixed rate or sent as fast as possible.
//
// Latency side channel: each kill carries `"bench_at_us":<epoch µs at ingest>,"bench_phase":"s|b"`
// right after killmail_id. Both servers forward the kill JSON unchanged, so a client reads the
// stamp out of the frame it receives (regex, no parse) and records now − stamp: ingest → client
// delivery, measured at the client. Epoch µs (performance.timeOrigin + now) is comparable
// across processes on one machine.
import { epochUs } from '../../src/core/clock.js';
import type { KillRecord } from '../../src/core/killmail.js';

export interface DriverKill {
  killmailId: number;
  systemId: number;
  characterIds: number[];
  json: string;
  atUs: number;
}

/** A driver kill as the store record the pipeline would hand the store, stamped `nowMs`. */
export function driverRecord(k: DriverKill, nowMs = Date.now()): KillRecord {
  return {
    killmailId: k.killmailId,
    systemId: k.systemId,
    killTimeMs: nowMs,
    characterIds: k.characterIds,
    victimCharacterId: k.characterIds[0] ?? 0,
    totalValue: 1e7,
    npc: false,
    json: k.json,
    replace: false,
    enriched: true,
    receivedAtUs: k.atUs,
  };
}

/** The store records of a driver batch, stamped now. The bus takes them as they are, as app.ts publishes them. */
export function driverRecords(kills: readonly DriverKill[]): KillRecord[] {
  const now = Date.now();
  return kills.map((k) => driverRecord(k, now));
}

export type Phase = 's' | 'b';

/** Deterministic xorshift32 so the runner can recompute clients' systems and expected deliveries. */
export function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x1_0000_0000;
  };
}

/** ~2.5 KB: a small gang fight with names, the common case on the real feed. */
export function makeKill(id: number, systemId: number, phase: Phase, random: () => number): DriverKill {
  const atUs = epochUs();
  const n = 1 + Math.floor(random() * 12);
  const attackers = Array.from({ length: n }, (_, i) => ({
    character_id: 95_000_000 + Math.floor(random() * 1_000_000),
    character_name: `Pilot ${i} of kill ${id}`,
    corporation_id: 98_000_000 + (i % 50),
    corporation_name: 'Bench Corporation',
    corporation_ticker: 'BENCH',
    alliance_id: 99_000_000 + (i % 7),
    alliance_name: 'Bench Alliance',
    ship_type_id: 11_987,
    ship_name: 'Guardian',
    weapon_type_id: 3082,
    damage_done: 100 + i,
    final_blow: i === 0,
    security_status: -1.5,
  }));
  const victimId = 95_000_000 + Math.floor(random() * 1_000_000);
  const killTime = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const body = {
    kill_time: killTime,
    system_id: systemId,
    solar_system_name: `Bench-${systemId}`,
    region_id: 10_000_002,
    security_status: 0.9,
    victim: {
      character_id: victimId,
      character_name: 'Victim',
      corporation_id: 98_000_001,
      corporation_name: 'Victims Inc',
      ship_type_id: 587,
      ship_name: 'Rifter',
      ship_group_id: 25,
      ship_group_name: 'Frigate',
      damage_taken: 5000,
      position: { x: 1.5, y: 2.5, z: 3.5 },
    },
    attackers,
    attacker_count: n,
    zkb: {
      locationID: 40_000_001,
      hash: 'f'.repeat(40),
      fittedValue: 1e7,
      droppedValue: 2e6,
      destroyedValue: 8e6,
      totalValue: 1e7,
      points: 1,
      npc: false,
      solo: n === 1,
      awox: false,
      labels: ['pvp', 'loc:highsec'],
    },
  };
  const json = `{"killmail_id":${id},"bench_at_us":${atUs},"bench_phase":"${phase}",${JSON.stringify(body).slice(1)}`;
  return { killmailId: id, systemId, characterIds: [victimId, ...attackers.map((a) => a.character_id)], json, atUs };
}

const TICK_MS = 10;

/**
 * Publish `rate` kills/s for `seconds`, in the batches a 10 ms tick makes (what the pipeline's
 * result ring hands over). Resolves with the systems of the kills, in order.
 */
export function runRate(
  rate: number,
  seconds: number,
  pool: readonly number[],
  firstId: number,
  publish: (kills: DriverKill[]) => void,
): Promise<number[]> {
  const random = rng(firstId);
  const total = Math.round(rate * seconds);
  const systems: number[] = [];
  const t0 = performance.now();
  return new Promise((resolve) => {
    const timer = setInterval(() => {
      const due = Math.min(total, Math.floor(((performance.now() - t0) / 1000) * rate));
      const batch: DriverKill[] = [];
      while (systems.length < due) {
        const systemId = pool[Math.floor(random() * pool.length)] as number;
        systems.push(systemId);
        batch.push(makeKill(firstId + systems.length, systemId, 's', random));
      }
      if (batch.length > 0) publish(batch);
      if (systems.length >= total) {
        clearInterval(timer);
        resolve(systems);
      }
    }, TICK_MS);
  });
}

/** Publish `count` kills as fast as the server takes them, `batch` per event-loop turn. */
export async function runBurst(
  count: number,
  batch: number,
  pool: readonly number[],
  firstId: number,
  publish: (kills: DriverKill[]) => void,
): Promise<number[]> {
  const random = rng(firstId);
  const systems: number[] = [];
  while (systems.length < count) {
    const kills: DriverKill[] = [];
    for (let i = 0; i < batch && systems.length < count; i++) {
      const systemId = pool[Math.floor(random() * pool.length)] as number;
      systems.push(systemId);
      kills.push(makeKill(firstId + systems.length, systemId, 'b', random));
    }
    publish(kills);
    await new Promise((r) => setImmediate(r));
  }
  return systems;
}

/** IPC between the runner and a bench server (ours or the baseline). */
export type ServerCommand =
  | { type: 'drive'; rate: number; seconds: number; pool: number[]; firstId: number }
  | { type: 'burst'; count: number; batch: number; pool: number[]; firstId: number }
  | { type: 'usage' }
  | { type: 'stop' };

export interface Usage {
  cpuUserUs: number;
  cpuSystemUs: number;
  rssBytes: number;
  heapUsedBytes: number;
}

export function usage(): Usage {
  const cpu = process.cpuUsage();
  const mem = process.memoryUsage();
  return { cpuUserUs: cpu.user, cpuSystemUs: cpu.system, rssBytes: mem.rss, heapUsedBytes: mem.heapUsed };
}

/** The command loop both servers run: publish through `publish`, answer with usage and systems. */
export function serveCommands(
  publish: (kills: DriverKill[]) => void,
  onStop: () => void,
  extra: () => Record<string, unknown> = () => ({}),
): void {
  process.on('message', (raw) => {
    const cmd = raw as ServerCommand;
    const reply = (m: Record<string, unknown>): void => void process.send?.(m);
    if (cmd.type === 'drive') {
      const before = usage();
      void runRate(cmd.rate, cmd.seconds, cmd.pool, cmd.firstId, publish).then((systems) =>
        reply({ type: 'driven', systems, before, after: usage(), extra: extra() }),
      );
    } else if (cmd.type === 'burst') {
      const before = usage();
      const startUs = epochUs();
      void runBurst(cmd.count, cmd.batch, cmd.pool, cmd.firstId, publish).then((systems) =>
        reply({ type: 'bursted', systems, startUs, publishedUs: epochUs(), before, after: usage(), extra: extra() }),
      );
    } else if (cmd.type === 'usage') {
      reply({ type: 'usage', usage: usage(), extra: extra() });
    } else if (cmd.type === 'stop') {
      onStop();
      process.exit(0);
    } else {
      throw new Error(`unknown bench command ${JSON.stringify(raw)}`);
    }
  });
}
