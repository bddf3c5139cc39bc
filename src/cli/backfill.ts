// `wkills backfill`: zKillboard day files (--from/--to, --days) or local dumps (--file) through
// the same pipeline and store as live kills, resumable, with a progress bar on a TTY and plain
// log lines otherwise, then a final report. It runs as its own process on the database file:
// SQLite's WAL lets a running `serve` keep reading while this process writes, and each write
// batch waits for the other writer through busy_timeout (see docs/OPERATIONS.md "Backfill").
import { Command, Option } from 'commander';
import { createApp, type App } from '../app.js';
import type { Config } from '../config/index.js';
import { WkError } from '../core/errors.js';
import type { BackfillProgressStore } from '../core/ports.js';
import { createBackfillFeed, daysBetween, fileUnits, historyDayUnit, type BackfillFeed, type BackfillUnit } from '../backfill-feed.js';
import { Counters, createStderrLogger } from '../telemetry/index.js';
import { addConfigOptions, configFromOptions } from './options.js';
import { esiCalls, startProgress, type ProgressView } from './backfill-progress.js';

const DAY_MS = 86_400_000;

export function addBackfillCommand(program: Command): void {
  const cmd = program
    .command('backfill')
    .description('load history through the pipeline: zKillboard day files (--from/--to, --days) or local dumps (--file)')
    .option('--from <date>', 'first UTC day, YYYY-MM-DD')
    .option('--to <date>', 'last UTC day, YYYY-MM-DD (default: --from)')
    .option('--days <n>', 'the last N finished UTC days (yesterday and before)')
    .option('--file <path>', 'a dump: JSON lines, a JSON array or a raw day file keyed by id; gzip/bzip2; or a folder of them')
    .addOption(new Option('--progress <mode>', 'progress display').choices(['auto', 'bar', 'log', 'none']).default('auto'))
    .option('--json', 'print the final report as JSON');
  addConfigOptions(cmd).action((opts: Record<string, unknown>) => runBackfill(configFromOptions(opts), opts));
}

export interface BackfillPlan {
  job: string;
  units: BackfillUnit[];
}

/** Units from the flags; every problem is reported at once (exit code 2). */
export async function planBackfill(config: Config, opts: Record<string, unknown>, nowMs = Date.now()): Promise<BackfillPlan> {
  const problems: string[] = [];
  const has = (k: string): boolean => typeof opts[k] === 'string' && opts[k] !== '';
  const modes = [has('file'), has('from') || has('to'), has('days')].filter(Boolean).length;
  if (modes !== 1) problems.push('give exactly one of --file PATH, --from DATE [--to DATE], --days N');
  if (has('to') && !has('from')) problems.push('--to needs --from');
  const day = (k: string): number | undefined => {
    const v = String(opts[k]);
    const t = /^\d{4}-\d{2}-\d{2}$/.test(v) ? Date.parse(`${v}T00:00:00Z`) : NaN;
    if (Number.isNaN(t) || new Date(t).toISOString().slice(0, 10) !== v)
      problems.push(`--${k}: must be a date YYYY-MM-DD (got ${JSON.stringify(v)})`);
    return Number.isNaN(t) ? undefined : t;
  };
  let range: [number, number] | undefined;
  if (has('from')) {
    const from = day('from');
    const to = has('to') ? day('to') : from;
    if (from !== undefined && to !== undefined) {
      if (to < from) problems.push('--to is before --from');
      else range = [from, to];
    }
  } else if (has('days')) {
    const n = Number(opts.days);
    if (!Number.isInteger(n) || n < 1 || n > 3660)
      problems.push(`--days: must be a whole number from 1 to 3660 (got ${JSON.stringify(opts.days)})`);
    const today = Math.floor(nowMs / DAY_MS) * DAY_MS;
    range = [today - n * DAY_MS, today - DAY_MS];
  }
  if (problems.length > 0) throw new WkError('ERR_CONFIG_INVALID', `invalid configuration:\n  - ${problems.join('\n  - ')}`);
  if (has('file')) return { job: 'file', units: await fileUnits(String(opts.file)) };
  const [from, to] = range as [number, number];
  const http = { baseUrl: config.r2z2Url, userAgent: config.userAgent };
  return { job: `history:${config.r2z2Url}`, units: daysBetween(from, to).map((d) => historyDayUnit(d, http)) };
}

export async function runBackfill(config: Config, opts: Record<string, unknown>): Promise<void> {
  const plan = await planBackfill(config, opts);
  // No live feed, no HTTP: this process only writes history into the file.
  const cfg: Config = Object.freeze({ ...config, source: 'none' as const });
  let feed: BackfillFeed | undefined;
  // The feed is built inside createApp, before `app` exists; it reads progress only once started.
  const progress: BackfillProgressStore = {
    get: (job, unit) => app.store.backfill.get(job, unit),
    set: (job, unit, position, done) => app.store.backfill.set(job, unit, position, done),
    hasKill: (id) => app.store.backfill.hasKill(id),
  };
  // Logs go to stderr: stdout carries the report (--json for scripts).
  const logger = createStderrLogger(config.logLevel, 'wkills-backfill');
  const counters = new Counters();
  const app: App = await createApp(cfg, {
    http: false,
    // A server may be serving this file: it indexes what we store (docs/OPERATIONS.md "Backfill").
    sideWriter: true,
    logger,
    counters,
    feed: (sink) =>
      (feed = createBackfillFeed({
        job: plan.job,
        units: plan.units,
        progress,
        sink,
        logger,
        counters,
        cutoffSeconds: config.cutoffSeconds,
        maxEntryBytes: config.maxEntryBytes,
        fetchConcurrency: config.backfillConcurrency * config.workers,
      })),
  });
  const started = Date.now();
  let interrupted = false;
  const onSignal = (): void => {
    interrupted = true;
    void feed?.stop();
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  await app.start();
  const sizes = plan.units.map((u) => u.size);
  const totalBytes = sizes.every((b) => b !== undefined) ? sizes.reduce((a: number, b) => a + (b ?? 0), 0) : undefined;
  const view: ProgressView = startProgress(typeof opts.progress === 'string' ? opts.progress : 'auto', app, plan.units.length, totalBytes);
  const result = await (feed as BackfillFeed).done();
  await settle(app);
  const ended = Date.now(); // the last commit: closing (the final WAL checkpoint) is not throughput
  await app.stop();
  view.stop();
  const report = finalReport(app, feed as BackfillFeed, started, ended);
  process.stdout.write(
    opts.json === true ? `${JSON.stringify({ ...report, errors: result.errors })}\n` : formatReport(report, result.errors),
  );
  process.exitCode = interrupted ? 130 : result.errors.length > 0 ? 1 : 0;
}

/** Wait until entries re-pushed after an ESI failure have come back (or were dead-lettered). */
async function settle(app: App): Promise<void> {
  for (;;) {
    const s = app.results.stats();
    if ((s.fetch_retry_waiting ?? 0) + (s.fetch_retry_in_pipeline ?? 0) === 0) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

export interface BackfillReport {
  stored: number;
  skipped: number;
  expired: number;
  older: number;
  failed: number;
  failed_by_reason: Record<string, number>;
  units_done: number;
  units_skipped: number;
  esi_calls: number;
  elapsed_s: number;
  /** Handled entries per second from the first entry read to the end. */
  kills_per_s: number;
}

function finalReport(app: App, feed: BackfillFeed, startedMs: number, endedMs: number): BackfillReport {
  const r = app.results.stats();
  const f = feed.stats();
  const reasons: Record<string, number> = {};
  for (const [k, v] of Object.entries(app.counters.snapshot()))
    if (k.startsWith('ingest.failed.') && v > 0) reasons[k.slice('ingest.failed.'.length)] = v;
  const tooLarge = Number(f.too_large ?? 0);
  if (tooLarge > 0) reasons.too_large = (reasons.too_large ?? 0) + tooLarge;
  const elapsed = (Date.now() - startedMs) / 1000;
  // The rate counts from the first entry read to the last commit: the worker start before it
  // and the store's close after it are not the pipeline's throughput (elapsed_s includes both).
  const firstAt = typeof f.first_entry_at_ms === 'number' ? f.first_entry_at_ms : startedMs;
  const working = (endedMs - firstAt) / 1000;
  const known = Number(f.known ?? 0);
  const handled = (r.stored ?? 0) + (r.skipped ?? 0) + known + (r.expired ?? 0) + (r.failed ?? 0);
  return {
    stored: r.stored ?? 0,
    skipped: (r.skipped ?? 0) + known,
    expired: r.expired ?? 0,
    older: r.older ?? 0,
    failed: (r.failed ?? 0) + tooLarge,
    failed_by_reason: reasons,
    units_done: Number(f.units_done ?? 0),
    units_skipped: Number(f.units_skipped ?? 0),
    esi_calls: esiCalls(app),
    elapsed_s: Math.round(elapsed * 10) / 10,
    kills_per_s: working > 0 ? Math.round(handled / working) : 0,
  };
}

function formatReport(r: BackfillReport, errors: readonly { unit: string; message: string }[]): string {
  const reasons = Object.entries(r.failed_by_reason)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const lines = [
    `backfill finished in ${r.elapsed_s} s (${r.kills_per_s} kills/s from the first entry)`,
    `  stored ${r.stored}, skipped ${r.skipped} (already stored), expired ${r.expired} (past retention), older ${r.older} (stored, not broadcast)`,
    `  failed ${r.failed}${reasons ? ` (${reasons})` : ''}; ESI calls ${r.esi_calls}`,
    `  units done ${r.units_done}, already done before ${r.units_skipped}`,
    ...errors.map((e) => `  error in ${e.unit}: ${e.message}`),
  ];
  return lines.join('\n') + '\n';
}
