// Enhanced-stream preload: recent kills of the client's characters, systems (or, with no filter,
// of everything) from the store, de-duplicated, `min_value` applied, sent as `batch` frames
// 100 ms apart, then `transition`. Read in one go at connect (bounded by PRELOAD_MAX), so the
// live kills held meanwhile are exactly those stored after the read.
import type { KillReader } from '../../core/ports.js';
import type { SseClient } from './client.js';
import { eventFrame, killIdOf, totalValueOf } from './frames.js';

const MS_PER_DAY = 86_400_000;
const PER_SOURCE = 1000;
const PRELOAD_MAX = 5000;
export const PRELOAD_BATCH = 50;
export const PRELOAD_INTERVAL_MS = 100;

export interface PreloadDeps {
  client: SseClient;
  reader: KillReader;
  nowMs: () => number;
  write(c: SseClient, chunk: string): void;
  onKills(n: number): void;
  done(c: SseClient): void;
}

function gather(c: SseClient, reader: KillReader, sinceMs: number): string[] {
  const out: string[] = [];
  const seen = c.preloaded ?? new Set<number>();
  const min = c.req.filters.minValue;
  const take = (json: string): void => {
    if (out.length >= PRELOAD_MAX) return;
    const id = killIdOf(json);
    if (seen.has(id)) return;
    if (min !== null && !(totalValueOf(json) >= min)) return;
    seen.add(id);
    out.push(json);
  };
  for (const id of c.characters) for (const json of reader.killsByCharacter(id, sinceMs, PER_SOURCE)) take(json);
  if (c.systems.length > 0) {
    for (const kills of reader.killsBySystems(c.systems, sinceMs, PER_SOURCE).values()) for (const json of kills) take(json);
  }
  if (c.systems.length === 0 && c.characters.length === 0) for (const json of reader.recentKills(sinceMs, PER_SOURCE)) take(json);
  return out;
}

export function runPreload(d: PreloadDeps): void {
  const c = d.client;
  const kills = gather(c, d.reader, d.nowMs() - c.req.filters.preloadDays * MS_PER_DAY);
  const totalBatches = Math.ceil(kills.length / PRELOAD_BATCH);
  let batch = 0;
  const step = (): void => {
    c.timer = undefined;
    if (c.closed) return;
    if (batch < totalBatches) {
      const slice = kills.slice(batch * PRELOAD_BATCH, (batch + 1) * PRELOAD_BATCH);
      batch++;
      d.write(
        c,
        eventFrame(
          'batch',
          `{"kills":[${slice.join(',')}],"count":${slice.length},"batch_number":${batch},"total_batches":${totalBatches}}`,
        ),
      );
      d.onKills(slice.length);
      c.timer = setTimeout(step, PRELOAD_INTERVAL_MS);
      return;
    }
    d.write(
      c,
      eventFrame(
        'transition',
        JSON.stringify({ status: 'historical_complete', total_historical: kills.length, timestamp: new Date(d.nowMs()).toISOString() }),
      ),
    );
    if (!c.closed) d.done(c);
  };
  // The first batch goes out on the next tick: the caller registers the client first.
  c.timer = setTimeout(step, 0);
}
