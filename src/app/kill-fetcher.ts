// GET /api/v1/killmail/{id} for a kill the store does not hold (docs/API.md#rest): the zKillboard API's
// /api/killID/{id}/ (full body since 2026-06), normalised and enriched by a pipeline worker
// through runOne — the same code path as the feeds, so the main thread still parses no
// killmail. The result is returned, neither stored nor broadcast.
import type { Config } from '../config/index.js';
import { WkError } from '../core/errors.js';
import type { KillFetcher } from '../core/ports.js';
import type { Pipeline } from '../pipeline/index.js';
import type { Counters } from '../telemetry/index.js';

// A client waits on this request: past 15 s an answer is worth less than the 503 that frees the slot.
const FETCH_TIMEOUT_MS = 15_000;
// Every unknown id is an outbound zKillboard request: bounded so that clients cannot make this
// server break zKillboard's rate rules (and get its IP banned) or fill the worker pool's queue.
const MAX_IN_FLIGHT = 4;
const MAX_WAITING = 32;
const EMPTY_ARRAY = /^\s*\[\s*\]\s*$/;

export function createKillFetcher(deps: { config: Config; pipeline: Pipeline; counters: Counters }): KillFetcher {
  const { config, pipeline, counters } = deps;
  let inFlight = 0;
  const waiting: (() => void)[] = [];

  async function slot(): Promise<void> {
    if (inFlight < MAX_IN_FLIGHT) {
      inFlight++;
      return;
    }
    if (waiting.length >= MAX_WAITING) {
      counters.inc('zkb.busy');
      throw new WkError('ERR_INGEST_HTTP_STATUS', `zKillboard lookups busy (${MAX_IN_FLIGHT} in flight, ${MAX_WAITING} waiting)`);
    }
    await new Promise<void>((resolve) => waiting.push(resolve)); // the slot is handed over in release()
  }

  function release(): void {
    const next = waiting.shift();
    if (next) next();
    else inFlight--;
  }

  return async (killmailId) => {
    await slot();
    try {
      return await fetchOne(killmailId);
    } finally {
      release();
    }
  };

  async function fetchOne(killmailId: number): Promise<string | undefined> {
    counters.inc('zkb.requests');
    const url = `${config.zkbUrl}/api/killID/${killmailId}/`;
    let res: Response;
    try {
      res = await fetch(url, {
        headers: { 'User-Agent': config.userAgent, Accept: 'application/json' },
        signal: AbortSignal.timeout(FETCH_TIMEOUT_MS),
      });
    } catch (err) {
      counters.inc('zkb.errors');
      throw new WkError('ERR_INGEST_TIMEOUT', `zKillboard API unreachable: ${(err as Error).message}`, { cause: err });
    }
    if (res.status === 404) return undefined;
    if (!res.ok) {
      counters.inc('zkb.errors');
      throw new WkError('ERR_INGEST_HTTP_STATUS', `zKillboard API answered ${res.status}`);
    }
    const body = new Uint8Array(await res.arrayBuffer());
    // `[]` is the API's "no such kill"; a short check, not a parse.
    if (body.byteLength < 16 && EMPTY_ARRAY.test(Buffer.from(body).toString('latin1'))) return undefined;
    const outcome = await pipeline.runOne(body, 'esi');
    if (outcome.kind === 'kill') return outcome.kill.json;
    counters.inc('zkb.errors');
    throw new WkError('ERR_INGEST_HTTP_BODY', `zKillboard API entry rejected (${outcome.reason}): ${outcome.message}`);
  }
}
