// Client resume (`killmails:lobby` join param `since`): a client that lost its connection rejoins
// with the last killmail id it received (or an ISO time) and gets every matching kill the server
// stored after that point, in storage order, as `killmail_update` with `preload: true`, then live
// kills, each exactly once.
//
// How the switch stays exact: the channel does not subscribe its systems and characters until
// the replay has caught up. Each tick reads one page of the store after the cursor; the tick
// whose read comes back short (the store's head) subscribes in the same tick. The store commits
// a batch and publishes it on the bus in one tick too, so every kill is either committed before
// that tick (read by the replay, not published to this socket) or after it (sent live).
import type { StoredKillRef } from '../core/ports.js';
import { MS_PER_HOUR } from '../core/clock.js';
import { push, type HubContext } from './context.js';
import { killmailUpdatePayload } from './protocol.js';
import { LOBBY_TOPIC, type LobbyChannel, type PreloadHandle, type SocketState } from './state.js';
import type { Checked } from './validate.js';

/** `since` may reach back this far (the window preload and REST serve by default). */
export const MAX_SINCE_MS = 24 * MS_PER_HOUR;
const PAGE = 500;
const PAUSE_BUFFER_SHARE = 0.25;
const PAUSE_MS = 50;

export interface ResumePoint {
  afterMs: number;
  afterId: number;
}

/** `since`: a stored killmail id (number or digits) or an ISO 8601 time, at most 24 h back. */
export function parseSince(ctx: HubContext, value: unknown): Checked<ResumePoint | undefined> {
  if (value === undefined || value === null) return { ok: true, value: undefined };
  const bad = (why: string): Checked<ResumePoint | undefined> => ({ ok: false, reason: `invalid_since: ${why}` });
  const resume = ctx.storedOrder;
  if (resume === undefined) return bad('resume is not available on this server');
  const oldest = ctx.nowMs() - MAX_SINCE_MS;
  const isId =
    (typeof value === 'number' && Number.isSafeInteger(value) && value > 0) || (typeof value === 'string' && /^\d{1,16}$/.test(value));
  if (isId) {
    const id = Number(value);
    const at = resume.storedAt(id);
    if (at === undefined) return bad(`killmail ${id} is not stored here; resume from an ISO time instead`);
    if (at < oldest) return bad('at most 24 h back');
    return { ok: true, value: { afterMs: at, afterId: id } };
  }
  if (typeof value !== 'string') return bad('expected a killmail id or an ISO 8601 time');
  const t = /^\d{4}-\d{2}-\d{2}T/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(t)) return bad('expected a killmail id or an ISO 8601 time');
  if (t < oldest) return bad('at most 24 h back');
  return { ok: true, value: { afterMs: t, afterId: Number.MAX_SAFE_INTEGER } };
}

class ResumeRunner implements PreloadHandle {
  private cancelled = false;
  private timer: NodeJS.Timeout | NodeJS.Immediate | undefined;
  private sent = 0;
  private readonly systems: Set<number>;
  private readonly characters: Set<number>;

  constructor(
    private readonly ctx: HubContext,
    private readonly state: SocketState,
    private readonly lobby: LobbyChannel,
    systems: readonly number[],
    characters: readonly number[],
    private point: ResumePoint,
    private readonly caughtUp: () => void,
  ) {
    this.systems = new Set(systems);
    this.characters = new Set(characters);
  }

  noteLive(): void {
    // Nothing is live on this channel before the replay has caught up.
  }

  cancel(): void {
    this.cancelled = true;
    if (this.timer !== undefined) clearTimeout(this.timer as NodeJS.Timeout);
    if (this.timer !== undefined) clearImmediate(this.timer as NodeJS.Immediate);
  }

  tick(): void {
    this.timer = undefined;
    const ws = this.state.ws;
    if (this.cancelled || !ws || this.state.lobby !== this.lobby) return;
    if (ws.getBufferedAmount() > this.ctx.slowConsumerBytes * PAUSE_BUFFER_SHARE) {
      this.ctx.counters.inc('ws.resume.paused');
      this.timer = setTimeout(() => this.tick(), PAUSE_MS);
      return;
    }
    let rows: StoredKillRef[];
    try {
      rows = this.ctx.storedOrder?.storedAfter(this.point.afterMs, this.point.afterId, PAGE) ?? [];
    } catch (err) {
      this.ctx.counters.inc('ws.resume.read_errors');
      this.ctx.logger.warn({ err }, 'resume read failed; the channel goes live without the rest of its replay');
      rows = [];
    }
    this.send(rows);
    const last = rows[rows.length - 1];
    if (last) this.point = { afterMs: last.storedAtMs, afterId: last.killmailId };
    if (rows.length === PAGE) {
      this.timer = setImmediate(() => this.tick());
      return;
    }
    // Caught up: subscribe in this very tick (see the top of the file), then say so.
    this.state.resume = undefined;
    this.caughtUp();
    const complete = {
      total_kills: this.sent,
      systems_processed: this.systems.size,
      characters_processed: this.characters.size,
      errors: [],
      resumed: true,
    };
    push(this.ctx, this.state, this.lobby.joinRef, LOBBY_TOPIC, 'preload_complete', JSON.stringify(complete));
  }

  private matches(r: StoredKillRef, cutoffMs: number): boolean {
    // A kill that was older than the cutoff when stored was never sent live: not replayed either.
    if (cutoffMs > 0 && r.killTimeMs < r.storedAtMs - cutoffMs) return false;
    if (this.systems.has(r.systemId)) return true;
    if (this.characters.size === 0 || r.characterIds === '') return false;
    for (const id of r.characterIds.split(',')) if (this.characters.has(Number(id))) return true;
    return false;
  }

  /** One `killmail_update` per run of consecutive kills of one system, in storage order. */
  private send(rows: readonly StoredKillRef[]): void {
    const cutoffMs = this.ctx.config.cutoffSeconds * 1000;
    const iso = new Date(this.ctx.nowMs()).toISOString();
    let systemId = 0;
    let jsons: string[] = [];
    const flush = (): void => {
      if (jsons.length === 0) return;
      push(this.ctx, this.state, this.lobby.joinRef, LOBBY_TOPIC, 'killmail_update', killmailUpdatePayload(systemId, jsons, iso, true));
      this.sent += jsons.length;
      this.ctx.registry.killsSentPreload += jsons.length;
      this.ctx.counters.inc('ws.kills_sent.resume', jsons.length);
      jsons = [];
    };
    for (const r of rows) {
      if (!this.matches(r, cutoffMs)) continue;
      const json = this.ctx.storedOrder?.json(r.killmailId);
      if (json === undefined) continue; // pruned between the two reads
      if (r.systemId !== systemId || jsons.length >= this.lobby.preload.batchSize) flush();
      systemId = r.systemId;
      jsons.push(json);
    }
    flush();
  }
}

/** Replay after `point`, then run `caughtUp` (which subscribes the channel) in the same tick. */
export function startResume(
  ctx: HubContext,
  state: SocketState,
  systems: readonly number[],
  characters: readonly number[],
  point: ResumePoint,
  caughtUp: () => void,
): void {
  const lobby = state.lobby;
  if (!lobby) return;
  state.resume?.cancel();
  const runner = new ResumeRunner(ctx, state, lobby, systems, characters, point, caughtUp);
  state.resume = runner;
  ctx.counters.inc('ws.resumes');
  setImmediate(() => runner.tick());
}
