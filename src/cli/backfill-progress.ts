// Backfill progress: a cli-progress bar on a TTY (kills/s, ETA, ESI calls, errors), a plain log
// line every LOG_EVERY_MS otherwise (CI logs, files), nothing with --progress none.
import cliProgress from 'cli-progress';
import type { App } from '../app.js';

const TICK_MS = 500;
const LOG_EVERY_MS = 5000;

export interface ProgressView {
  stop(): void;
}

interface Figures {
  handled: number;
  stored: number;
  errors: number;
  esi: number;
  units: number;
  unit: string;
  bytes: number;
}

/** ESI requests the workers made (their latest stats, ≤ 1 s old). */
export function esiCalls(app: App): number {
  let n = 0;
  for (const w of app.pipeline.enricherStats()) n += w['esi.requests'] ?? 0;
  return n;
}

function figures(app: App): Figures {
  const r = app.results.stats();
  const f = app.feed?.stats() ?? {};
  const known = Number(f.known ?? 0);
  const errors = (r.failed ?? 0) + Number(f.too_large ?? 0) + Number(f.units_failed ?? 0) + Number(f.units_missing ?? 0);
  return {
    handled: (r.stored ?? 0) + (r.skipped ?? 0) + (r.expired ?? 0) + (r.failed ?? 0) + known,
    stored: r.stored ?? 0,
    errors,
    esi: esiCalls(app),
    units: Number(f.units_done ?? 0) + Number(f.units_skipped ?? 0),
    unit: String(f.unit ?? ''),
    bytes: Number(f.source_bytes_read ?? 0),
  };
}

/**
 * `totalBytes` (local files: their sizes) makes the bar and ETA follow the bytes read; without it
 * (day files over HTTP) they follow the units.
 */
export function startProgress(mode: string, app: App, units: number, totalBytes?: number): ProgressView {
  const resolved = mode === 'auto' ? (process.stderr.isTTY ? 'bar' : 'log') : mode;
  if (resolved === 'none') return { stop: () => undefined };
  const t0 = Date.now();
  if (resolved === 'log') {
    const timer = setInterval(() => {
      const x = figures(app);
      const s = (Date.now() - t0) / 1000;
      app.logger.info(
        {
          units_done: x.units,
          units,
          unit: x.unit,
          kills: x.handled,
          stored: x.stored,
          kills_per_s: Math.round(x.handled / s),
          esi_calls: x.esi,
          errors: x.errors,
        },
        'backfill progress',
      );
    }, LOG_EVERY_MS);
    timer.unref();
    return { stop: () => clearInterval(timer) };
  }
  const byBytes = totalBytes !== undefined && totalBytes > 0;
  const MB = 2 ** 20;
  const of = byBytes ? '{value}/{total} MB' : '{value}/{total} units';
  const bar = new cliProgress.SingleBar(
    {
      format: `backfill [{bar}] ${of} | {kills} kills, {rate} kills/s | ETA {eta_formatted} | ESI {esi} | errors {errors} | {unit}`,
      hideCursor: true,
      stream: process.stderr,
      etaBuffer: 20,
    },
    cliProgress.Presets.shades_classic,
  );
  const value = (x: Figures): number => (byBytes ? Math.round(x.bytes / MB) : x.units);
  bar.start(byBytes ? Math.max(1, Math.round(totalBytes / MB)) : units, 0, { kills: 0, rate: 0, esi: 0, errors: 0, unit: '' });
  const timer = setInterval(() => {
    const x = figures(app);
    const s = (Date.now() - t0) / 1000;
    bar.update(value(x), { kills: x.handled, rate: Math.round(x.handled / s), esi: x.esi, errors: x.errors, unit: x.unit });
  }, TICK_MS);
  timer.unref();
  return {
    stop() {
      clearInterval(timer);
      bar.update(value(figures(app)));
      bar.stop();
    },
  };
}
