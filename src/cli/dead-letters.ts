// `wkills db dead-letters list|retry`: what the pipeline could not take (malformed after every
// refetch, ESI never answered), and a replay of those entries through the pipeline into the
// configured database. Alongside a running server on the same file: SQLite (WAL) lets this
// process write between the server's batches; replayed kills are served by REST at once, but are
// not pushed to WebSocket/SSE clients (the server's bus never sees them) — docs/OPERATIONS.md.
import { createApp, type App } from '../app.js';
import type { Config } from '../config/index.js';
import { WkError } from '../core/errors.js';
import type { SourceKind } from '../core/ports.js';
import { deadLetters, openStore, type DeadLetterRow, type DeadLetters } from '../app.js';
import { createLogger } from '../telemetry/index.js';
import { createHttpClient, type HttpClient } from '../net/index.js';

const PAGE = 200;
const PREVIEW_CHARS = 160;
const REFETCH_TIMEOUT_MS = 15_000;
const REPLAYABLE: ReadonlySet<string> = new Set<SourceKind>(['r2z2', 'redisq', 'esi', 'backfill']);

export async function runDeadLetters(config: Config, what: string | undefined): Promise<void> {
  if (what === 'list') {
    list(config);
    return;
  }
  if (what === 'retry') return retry(config);
  throw new WkError(
    'ERR_CONFIG_INVALID',
    `invalid configuration:\n  - db dead-letters needs list or retry (got ${JSON.stringify(what ?? '')})`,
  );
}

function describeRow(r: DeadLetterRow): Record<string, unknown> {
  const text = r.body === undefined ? undefined : Buffer.from(r.body).toString('utf8');
  return {
    id: r.id,
    source: r.source,
    reason: r.reason,
    message: r.message,
    at: new Date(r.atMs).toISOString(),
    body_bytes: r.body?.byteLength ?? 0,
    ...(text !== undefined && { body: text.length > PREVIEW_CHARS ? `${text.slice(0, PREVIEW_CHARS)}…` : text }),
  };
}

/** One JSON object per line, oldest first, then a summary line. */
function list(config: Config): void {
  const store = openStore({ path: config.db, retentionHours: config.retentionHours, checkpointThread: false, sideWriter: true });
  try {
    const dl = deadLetters(store.connection);
    let after = 0;
    for (let page = dl.list(after, PAGE); page.length > 0; page = dl.list(after, PAGE)) {
      for (const r of page) process.stdout.write(`${JSON.stringify(describeRow(r))}\n`);
      after = page[page.length - 1]!.id;
    }
    process.stdout.write(`${JSON.stringify({ dead_letters: dl.count() })}\n`);
  } finally {
    store.close();
  }
}

/**
 * Each dead letter with a feed body goes through the pipeline again (runOne: parse, validate,
 * normalise, ESI fetch and names); a kill is written to the store and its dead letter removed.
 * What still fails stays, so the command can be run again later.
 */
async function retry(config: Config): Promise<void> {
  const app = await createApp({ ...config, source: 'none', statusIntervalSeconds: 0 }, { http: false, logger: createLogger('warn') });
  await app.start();
  const totals = { replayed: 0, stored: 0, already_stored: 0, still_failing: 0, not_replayable: 0 };
  const client = createHttpClient({ userAgent: config.userAgent, timeoutMs: REFETCH_TIMEOUT_MS, maxBytes: config.maxEntryBytes });
  try {
    const dl = deadLetters(app.store.connection);
    let after = 0;
    for (let page = dl.list(after, PAGE); page.length > 0; page = dl.list(after, PAGE)) {
      for (const r of page) await replay(app, dl, client, r, totals);
      after = page[page.length - 1]!.id;
    }
  } finally {
    await client.close();
    await app.stop();
  }
  process.stdout.write(`${JSON.stringify(totals)}\n`);
}

/**
 * An R2Z2 entry dead-lettered with its feed position is fetched again (its file is immutable; the
 * stored body may be the malformed copy); the stored body otherwise, or when that GET fails.
 */
async function freshBody(config: Config, client: HttpClient, r: DeadLetterRow): Promise<Uint8Array> {
  const seq = r.source === 'r2z2' ? /\(r2z2 seq (\d+)\)/.exec(r.message)?.[1] : undefined;
  if (seq === undefined) return r.body as Uint8Array;
  const res = await client.request(`${config.r2z2Url.replace(/\/+$/, '')}/ephemeral/${seq}.json`);
  return res.ok && res.status === 200 ? res.body : (r.body as Uint8Array);
}

async function replay(app: App, dl: DeadLetters, client: HttpClient, r: DeadLetterRow, totals: Record<string, number>): Promise<void> {
  if (r.body === undefined || r.body.byteLength === 0 || !REPLAYABLE.has(r.source)) {
    totals.not_replayable!++;
    return;
  }
  totals.replayed!++;
  const outcome = await app.pipeline.runOne(await freshBody(app.config, client, r), r.source as SourceKind);
  if (outcome.kind !== 'kill') {
    totals.still_failing!++;
    process.stderr.write(`${JSON.stringify({ id: r.id, still: outcome.reason, message: outcome.message })}\n`);
    return;
  }
  const [written] = app.store.writer.writeBatch([outcome.kill]);
  if (written === 'skipped') totals.already_stored!++;
  else if (written === 'stored' || written === 'replaced') totals.stored!++;
  else {
    totals.still_failing!++;
    return; // the writer dead-lettered the record itself (invalid): keep this row too
  }
  dl.remove(r.id);
}
