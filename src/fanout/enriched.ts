// `killmail_enriched` (join param `updates: true`): a kill broadcast with ids only because ESI was
// slow gets its names later (late enrichment); the completed copy goes, as its own event, to the
// lobby channels that asked for updates and match the kill. `killmail_update` stays exactly once.
// Rare by design (only kills that missed the enrichment budget), so per-socket sends are fine.
import { push, type HubContext } from './context.js';
import { LOBBY_TOPIC, type SocketState } from './state.js';

const SYSTEM_ID = /"system_id":(\d+)/;
const CHARACTER_ID = /"character_id":(\d+)/g;
const KILL_TIME = /"kill_time":"([^"]+)"/;

/** Channels joined after `storedAtMs` never got the kill's first copy: they get no update either. */
export function deliverEnriched(ctx: HubContext, killmailId: number, json: string, storedAtMs: number): number {
  const systemId = Number(SYSTEM_ID.exec(json)?.[1] ?? 0);
  // A kill past the cutoff was never broadcast, so there is nothing to update on the clients.
  const cutoffMs = ctx.config.cutoffSeconds * 1000;
  const killTime = Date.parse(KILL_TIME.exec(json)?.[1] ?? '');
  if (cutoffMs > 0 && Number.isFinite(killTime) && killTime < ctx.nowMs() - cutoffMs) return 0;
  const targets = new Set<SocketState>();
  const wants = (s: SocketState): boolean => s.lobby?.updates === true && s.lobby.joinedAtMs <= storedAtMs;
  for (const s of ctx.registry.bySystem.get(systemId) ?? []) if (wants(s)) targets.add(s);
  if (ctx.registry.byCharacter.size > 0) {
    for (const m of json.matchAll(CHARACTER_ID)) {
      const subs = ctx.registry.byCharacter.get(Number(m[1]));
      if (subs === undefined) continue;
      // One subscriber is kept as the socket itself, several as a Set (subscriptions.ts).
      if (subs instanceof Set) {
        for (const s of subs) if (wants(s)) targets.add(s);
      } else if (wants(subs)) targets.add(subs);
    }
  }
  if (targets.size === 0) return 0;
  const payload = `{"system_id":${systemId},"killmail_id":${killmailId},"killmails":[${json}],"timestamp":"${new Date(ctx.nowMs()).toISOString()}"}`;
  for (const s of targets) push(ctx, s, s.lobby?.joinRef ?? null, LOBBY_TOPIC, 'killmail_enriched', payload);
  ctx.counters.inc('ws.kills_sent.enriched', targets.size);
  return targets.size;
}
