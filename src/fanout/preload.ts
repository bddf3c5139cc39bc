// Preload (docs/API.md#websocket): recent kills from the store for newly subscribed systems and characters,
// newest first, de-duplicated per channel, sent as `killmail_update` with `preload: true` in
// batches of `delivery_batch_size` every `delivery_interval_ms`, then `preload_complete`.
//
// Reads are spread over timer ticks (a batch's worth of kills per tick, at most READS_PER_TICK
// store queries) so a join with 10,000 systems never blocks the event loop in one go. Each
// subscribe that adds systems or characters queues a job; jobs of one socket run in order.
//
// Ordering: live kills are not held back while a preload runs. They go out as they arrive with
// `preload: false`, so a client may see live kills between preload batches. A source is read on a
// later tick, not at join time, so it may return a kill already sent live: the broadcaster notes
// each live kill it sends to a preloading socket (noteLive) and take() skips it (exactly
// once). The store writes a kill and publishes it in the same tick, so a read never sees a kill
// that is still to be sent live.
//
// Unsubscribing stops the preload of that source: fill() skips sources no longer subscribed, and
// sendBatch() drops read kills that no longer match the channel's systems or characters.
import { MS_PER_HOUR } from '../core/clock.js';
import type { StoredKill } from '../core/ports.js';
import { push, type HubContext } from './context.js';
import { killmailUpdatePayload } from './protocol.js';
import { LOBBY_TOPIC, type LobbyChannel, type PreloadHandle, type SocketState } from './state.js';
import type { PreloadOptions } from './validate.js';

// 200 indexed reads take ~1-2 ms: a 10,000-system join spreads over ticks instead of blocking the loop for a second.
const READS_PER_TICK = 200;
/** Past this many remembered ids a channel stops de-duplicating later preloads (memory bound). */
const MAX_PRELOADED_IDS = 100_000;
/** A batch waits while the socket still holds this share of the slow-consumer limit unsent. */
const PAUSE_BUFFER_SHARE = 0.25;
const PAUSE_MS = 50; // how often a paused preload looks at the socket buffer again

interface Pending {
  kill: StoredKill;
  /** The character source that read it; 0 when a system source did. */
  characterId: number;
}

interface PreloadError {
  system_id?: number;
  character_id?: number;
  error: string;
}

interface Job {
  systems: number[];
  characters: number[];
  /** Next source: indexes < systems.length are systems, the rest characters. */
  next: number;
  sinceMs: number;
  opts: PreloadOptions;
  pending: Pending[];
  totalKills: number;
  errors: PreloadError[];
}

class PreloadRunner implements PreloadHandle {
  private readonly jobs: Job[] = [];
  private timer: NodeJS.Timeout | undefined;
  private immediate: NodeJS.Immediate | undefined;
  private cancelled = false;

  constructor(
    private readonly ctx: HubContext,
    private readonly state: SocketState,
    private readonly lobby: LobbyChannel,
  ) {}

  enqueue(job: Job): void {
    this.jobs.push(job);
    if (this.jobs.length === 1) this.schedule(0);
  }

  /** A live kill just sent to this socket: a later read must not send it again. */
  noteLive(killId: number): void {
    if (this.lobby.preloadedIds.size < MAX_PRELOADED_IDS) this.lobby.preloadedIds.add(killId);
  }

  cancel(): void {
    this.cancelled = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
  }

  private schedule(delayMs: number): void {
    if (delayMs > 0) this.timer = setTimeout(() => this.tick(), delayMs);
    else this.immediate = setImmediate(() => this.tick());
  }

  private tick(): void {
    this.timer = undefined;
    this.immediate = undefined;
    const job = this.jobs[0];
    const ws = this.state.ws;
    if (this.cancelled || !job || !ws || this.state.lobby !== this.lobby) return;
    // A client still reading the previous batches is not pushed towards the slow-consumer limit.
    if (ws.getBufferedAmount() > this.ctx.slowConsumerBytes * PAUSE_BUFFER_SHARE) {
      this.ctx.counters.inc('ws.preload.paused');
      return this.schedule(PAUSE_MS);
    }
    this.fill(job);
    const sent = this.sendBatch(job);
    const sources = job.systems.length + job.characters.length;
    if (job.next >= sources && job.pending.length === 0) {
      const complete = {
        total_kills: job.totalKills,
        systems_processed: job.systems.length,
        characters_processed: job.characters.length,
        errors: job.errors,
      };
      push(this.ctx, this.state, this.lobby.joinRef, LOBBY_TOPIC, 'preload_complete', JSON.stringify(complete));
      this.jobs.shift();
      if (this.jobs.length === 0) {
        if (this.state.preload === this) this.state.preload = undefined;
        return;
      }
    }
    this.schedule(sent > 0 ? job.opts.intervalMs : 0);
  }

  /** Read sources until a batch is ready, the sources run out, or READS_PER_TICK queries ran. */
  private fill(job: Job): void {
    const sources = job.systems.length + job.characters.length;
    let reads = 0;
    while (job.pending.length < job.opts.batchSize && job.next < sources && reads < READS_PER_TICK) {
      const i = job.next++;
      const isSystem = i < job.systems.length;
      const id = isSystem ? (job.systems[i] as number) : (job.characters[i - job.systems.length] as number);
      if (!(isSystem ? this.lobby.systems : this.lobby.characters).has(id)) {
        this.ctx.counters.inc('ws.preload.skipped_unsubscribed');
        continue;
      }
      reads++;
      try {
        const limit = job.opts.limitPerSystem;
        const kills = isSystem
          ? this.ctx.reader.systemKillRows({ systemId: id, sinceMs: job.sinceMs, limit })
          : this.ctx.reader.characterKillRows(id, job.sinceMs, limit);
        for (const kill of kills) this.take(job, kill, isSystem ? 0 : id);
      } catch (err) {
        this.ctx.counters.inc('ws.preload.read_errors');
        this.ctx.logger.warn({ err, id, isSystem }, 'preload read failed; reported in preload_complete.errors');
        job.errors.push({ ...(isSystem ? { system_id: id } : { character_id: id }), error: (err as Error).message });
      }
    }
  }

  private take(job: Job, kill: StoredKill, characterId: number): void {
    if (this.lobby.preloadedIds.has(kill.killmailId)) return;
    if (this.lobby.preloadedIds.size < MAX_PRELOADED_IDS) this.lobby.preloadedIds.add(kill.killmailId);
    job.pending.push({ kill, characterId });
  }

  /** Whether a read kill still matches the channel; one that does not is forgotten, so a resubscribe preloads it. */
  private stillMatches(k: Pending): boolean {
    const { systems, characters } = this.lobby;
    if (systems.has(k.kill.systemId) || characters.has(k.characterId)) return true;
    if (characters.size > 0) {
      for (const id of k.kill.characterIds) if (characters.has(id)) return true;
    }
    this.lobby.preloadedIds.delete(k.kill.killmailId);
    this.ctx.counters.inc('ws.preload.dropped_unsubscribed');
    return false;
  }

  /** One batch: up to batchSize kills, one `killmail_update` per system in it. */
  private sendBatch(job: Job): number {
    const batch = job.pending.splice(0, job.opts.batchSize).filter((k) => this.stillMatches(k));
    if (batch.length === 0) return 0;
    const bySystem = new Map<number, string[]>();
    for (const { kill } of batch) {
      const list = bySystem.get(kill.systemId);
      if (list) list.push(kill.json);
      else bySystem.set(kill.systemId, [kill.json]);
    }
    const iso = new Date(this.ctx.nowMs()).toISOString();
    for (const [systemId, jsons] of bySystem) {
      push(this.ctx, this.state, this.lobby.joinRef, LOBBY_TOPIC, 'killmail_update', killmailUpdatePayload(systemId, jsons, iso, true));
    }
    job.totalKills += batch.length;
    this.ctx.registry.killsSentPreload += batch.length;
    this.ctx.counters.inc('ws.kills_sent.preload', batch.length);
    return batch.length;
  }
}

/** Queue a preload of `systems`/`characters` on the socket's lobby channel (no-op when disabled). */
export function startPreload(ctx: HubContext, state: SocketState, systems: readonly number[], characters: readonly number[]): void {
  const lobby = state.lobby;
  if (!lobby || !lobby.preload.enabled || (systems.length === 0 && characters.length === 0)) return;
  let runner = state.preload instanceof PreloadRunner ? state.preload : undefined;
  if (runner === undefined) {
    runner = new PreloadRunner(ctx, state, lobby);
    state.preload = runner;
  }
  runner.enqueue({
    systems: [...systems],
    characters: [...characters],
    next: 0,
    sinceMs: ctx.nowMs() - lobby.preload.sinceHours * MS_PER_HOUR,
    opts: lobby.preload,
    pending: [],
    totalKills: 0,
    errors: [],
  });
}

export function cancelPreload(state: SocketState): void {
  state.preload?.cancel();
  state.preload = undefined;
}
