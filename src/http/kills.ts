// Kill routes (docs/API.md#rest). Every kill in a response is the stored canonical JSON spliced
// into the envelope as bytes: no JSON.parse or JSON.stringify of a kill per request
// (docs/ARCHITECTURE.md#hot-paths). System answers are built once and reused until they change
// (answer-cache.ts); bulk answers are assembled from the same cached per-system parts.
// docs/PERFORMANCE.md "REST" has what that buys.
import type { KillFetcher, KillMiss, KillReader } from '../core/ports.js';
import { MS_PER_HOUR } from '../core/clock.js';
import { MAX_SYSTEM_ID } from '../core/limits.js';
import type { Counters, Logger } from '../telemetry/index.js';
import { isoTimestamp, JSON_TYPE, respondData, respondError, send, type RequestCtx } from './respond.js';
import { streamChunks } from './stream.js';
import { AnswerCache } from './answer-cache.js';
import type { ParamSpec, RouteInput, RouteSpec } from './route-spec.js';
import { errorResponses, ref } from './openapi-schemas.js';
import { KeyedBuckets, SingleFlight } from '../net/index.js';
import { clientIp } from './client-ip.js';

export const MAX_BULK_SYSTEMS = 100;
/**
 * Bulk answers that may hold more kills than this (systems x limit) are streamed one system at a
 * time instead of built whole: at ~4 KB a kill, 5,000 kills is ~20 MB, while the contract's
 * maximum (100 x 1,000) could be ~400 MB in one buffer.
 */
export const BULK_STREAM_ABOVE_KILLS = 5000;

const SYSTEM_ID: ParamSpec = {
  name: 'system_id',
  in: 'path',
  required: true,
  message: 'Invalid system ID format',
  description: 'Solar system id (k-space 30000000..33000000, wormhole and abyssal ranges; 1..50,000,000 accepted)',
  value: { type: 'integer', min: 1, max: MAX_SYSTEM_ID },
};
const KILLMAIL_ID: ParamSpec = {
  name: 'killmail_id',
  in: 'path',
  required: true,
  message: 'Invalid killmail ID format',
  description: 'Killmail id (positive integer up to 2^53 - 1)',
  value: { type: 'integer', min: 1, max: Number.MAX_SAFE_INTEGER },
};
const LIMIT = { type: 'integer', min: 1, max: 1000, default: 50 } as const;
const SINCE_HOURS = { type: 'integer', min: 1, max: 168, default: 24 } as const;
const LIMIT_Q: ParamSpec = { name: 'limit', in: 'query', description: 'Most kills returned (per system)', value: LIMIT };
const SINCE_Q: ParamSpec = {
  name: 'since_hours',
  in: 'query',
  description: 'Window: kills newer than this many hours',
  value: SINCE_HOURS,
};

export interface KillRouteDeps {
  reader: KillReader;
  /** Bytes of built answers kept for reuse (config restCacheBytes; 0: rebuild every time). */
  cacheBytes?: number;
  fetchKill?: KillFetcher | undefined;
  logger: Logger;
  counters: Counters;
  /** Per-client-IP limit on requests that reach an upstream (a store miss); perMinute 0 disables. */
  upstreamPerIp?: { perMinute: number; burst: number };
}

function systemKills(cache: AnswerCache, ctx: RequestCtx, input: RouteInput, cached: boolean): void {
  const answer = cache.get(input.int('system_id'), input.int('limit'), input.int('since_hours'), cached, isoTimestamp());
  send(ctx, 200, JSON_TYPE, answer.body);
}

const BULK_HEAD = Buffer.from('{"data":{"systems_kills":{');

function bulkTail(iso: string): Buffer {
  return Buffer.from('},"timestamp":"' + iso + '"},"timestamp":"' + iso + '"}', 'latin1');
}

/** `"id":[...]` of one system, its kills array taken from the system's cached answer. */
function systemPart(cache: AnswerCache, id: number, first: boolean, limit: number, hours: number, iso: string): [Buffer, Buffer] {
  const a = cache.get(id, limit, hours, false, iso);
  return [Buffer.from((first ? '"' : ',"') + id + '":', 'latin1'), a.body.subarray(a.arrayStart, a.arrayEnd)];
}

function bulkKills(cache: AnswerCache, ctx: RequestCtx, input: RouteInput): void | Promise<void> {
  const ids = [...new Set(input.ints('system_ids'))];
  const limit = input.int('limit');
  const hours = input.int('since_hours');
  if (ids.length * limit > BULK_STREAM_ABOVE_KILLS) return streamBulk(cache, ctx, ids, hours, limit);
  const iso = isoTimestamp();
  // The parts are views of cached bodies: eviction only drops the map's reference and the
  // in-place timestamp rewrite never touches a kills array, so they stay valid until the concat.
  const parts: Buffer[] = [BULK_HEAD];
  let total = BULK_HEAD.length;
  for (let i = 0; i < ids.length; i++) {
    const [key, kills] = systemPart(cache, ids[i]!, i === 0, limit, hours, iso);
    parts.push(key, kills);
    total += key.length + kills.length;
  }
  const tail = bulkTail(iso);
  parts.push(tail);
  send(ctx, 200, JSON_TYPE, assemble(parts, total + tail.length));
}

/**
 * Bulk bodies are assembled in one reused buffer: a fresh multi-megabyte Buffer per answer costs
 * its page faults every time (Buffer.concat of a 2 MB answer: ~1.5 ms of CPU, against ~0.07 ms
 * copying into memory already mapped). uWS copies what it cannot send at once, so the buffer is
 * free again when send() returns. Kept up to the largest built-whole answer (5,000 kills).
 */
const SCRATCH_MAX_BYTES = 48 * 1024 * 1024;
let scratch = Buffer.alloc(0);

function assemble(parts: readonly Buffer[], total: number): Buffer {
  if (total > SCRATCH_MAX_BYTES) return Buffer.concat(parts, total);
  if (scratch.length < total) scratch = Buffer.allocUnsafe(Math.min(SCRATCH_MAX_BYTES, Math.max(total, scratch.length * 2, 1 << 20)));
  let at = 0;
  for (const p of parts) at += p.copy(scratch, at);
  return scratch.subarray(0, total);
}

/** The same bytes as bulkKills, produced one system per chunk as the client drains them. */
function streamBulk(cache: AnswerCache, ctx: RequestCtx, ids: readonly number[], hours: number, limit: number): Promise<void> {
  const iso = isoTimestamp();
  let i = -1;
  return streamChunks(ctx, JSON_TYPE, () => {
    i++;
    if (i === 0) return BULK_HEAD;
    if (i <= ids.length) return Buffer.concat(systemPart(cache, ids[i - 1]!, i === 1, limit, hours, iso));
    if (i === ids.length + 1) return bulkTail(iso);
    return undefined;
  });
}

/**
 * GET /killmail/{id}: the store first; else the fetcher (zKB API + ESI, enriched, neither stored
 * nor broadcast). Concurrent requests for the same missing id share one fetch. Only store misses
 * reach upstream, so only they count against the client IP's budget (429 rate_limited past it).
 */
function createKillmailHandler(deps: KillRouteDeps): (ctx: RequestCtx, input: RouteInput) => void | Promise<void> {
  const flights = new SingleFlight<number, string | KillMiss | undefined>();
  const perIp =
    deps.upstreamPerIp !== undefined && deps.upstreamPerIp.perMinute > 0
      ? new KeyedBuckets<string>(deps.upstreamPerIp.perMinute / 60, deps.upstreamPerIp.burst)
      : undefined;
  const fetchShared = (id: number, fetchKill: KillFetcher): Promise<string | KillMiss | undefined> => {
    deps.counters.inc(flights.has(id) ? 'http.killmail.fetch_joined' : 'http.killmail.fetch_started');
    return flights.run(id, () => fetchKill(id));
  };
  return (ctx, input) => {
    const id = input.int('killmail_id');
    const stored = deps.reader.killById(id);
    if (stored !== undefined) {
      respondData(ctx, stored);
      return undefined;
    }
    const fetchKill = deps.fetchKill;
    if (!fetchKill) {
      respondError(ctx, 404, 'not_found', 'Killmail not found', { killmail_id: id });
      return undefined;
    }
    // The remote address is only readable before the handler returns (uWS), so read it now.
    const ip = perIp === undefined ? '' : clientIp(ctx);
    if (perIp !== undefined && !perIp.tryTake(ip)) {
      deps.counters.inc('http.killmail.rate_limited');
      const retryS = Math.max(1, Math.ceil(perIp.waitMs(ip) / 1000));
      respondError(
        ctx,
        429,
        'rate_limited',
        'Too many lookups of killmails not stored here',
        { killmail_id: id, retry_after_seconds: retryS },
        [['retry-after', String(retryS)]],
      );
      return undefined;
    }
    return fetchShared(id, fetchKill).then(
      (found) => {
        if (typeof found === 'string') respondData(ctx, found);
        else
          respondError(ctx, 404, 'not_found', 'Killmail not found', {
            killmail_id: id,
            ...(found !== undefined && { reason: found.missing }),
          });
      },
      (err: unknown) => {
        deps.logger.warn({ err, killmailId: id }, 'killmail fetch failed');
        respondError(ctx, 503, 'unavailable', 'Killmail source unavailable', {
          killmail_id: id,
          reason: (err as Error)?.message ?? String(err),
        });
      },
    );
  };
}

function countKills(reader: KillReader, ctx: RequestCtx, input: RouteInput): void {
  const systemId = input.int('system_id');
  const hours = input.int('since_hours');
  const count = reader.countBySystem(systemId, Date.now() - hours * MS_PER_HOUR);
  respondData(ctx, '{"system_id":' + systemId + ',"count":' + count + ',"since_hours":' + hours + ',"timestamp":"' + isoTimestamp() + '"}');
}

const TAGS = ['kills'] as const;

export function killRoutes(deps: KillRouteDeps): RouteSpec[] {
  const { reader } = deps;
  const cache = new AnswerCache({ reader, counters: deps.counters, maxBytes: deps.cacheBytes ?? 0 });
  return [
    {
      method: 'GET',
      path: '/api/v1/kills/system/:system_id',
      operationId: 'getSystemKills',
      tags: TAGS,
      summary: 'Recent kills in one system, newest first',
      params: [SYSTEM_ID, SINCE_Q, LIMIT_Q],
      responses: { 200: { description: 'Kills', schema: ref('SystemKillsEnvelope') }, ...errorResponses(400) },
      handler: (ctx, input) => systemKills(cache, ctx, input, false),
    },
    {
      method: 'POST',
      path: '/api/v1/kills/systems',
      operationId: 'getSystemsKills',
      tags: TAGS,
      summary: 'Recent kills for up to 100 systems',
      description:
        `Keys of systems_kills follow the request order. When systems x limit exceeds ${BULK_STREAM_ABOVE_KILLS} the ` +
        'answer is streamed one system at a time (chunked transfer encoding) instead of built whole.',
      body: {
        description: 'Systems and window',
        fields: [
          {
            name: 'system_ids',
            required: true,
            message: 'Invalid system IDs',
            description: 'Systems (1..100 ids)',
            value: { type: 'integer_list', min: 1, max: MAX_SYSTEM_ID, minItems: 1, maxItems: MAX_BULK_SYSTEMS },
          },
          { name: 'since_hours', description: 'Window in hours', value: SINCE_HOURS },
          { name: 'limit', description: 'Most kills per system', value: LIMIT },
        ],
      },
      responses: { 200: { description: 'Kills per system', schema: ref('SystemsKillsEnvelope') }, ...errorResponses(400, 413, 415) },
      handler: (ctx, input) => bulkKills(cache, ctx, input),
    },
    {
      method: 'GET',
      path: '/api/v1/kills/cached/:system_id',
      operationId: 'getCachedSystemKills',
      tags: TAGS,
      summary: 'Kills in one system from the local store only (cached: true)',
      params: [SYSTEM_ID, SINCE_Q, LIMIT_Q],
      responses: { 200: { description: 'Kills', schema: ref('SystemKillsEnvelope') }, ...errorResponses(400) },
      handler: (ctx, input) => systemKills(cache, ctx, input, true),
    },
    {
      method: 'GET',
      path: '/api/v1/killmail/:killmail_id',
      operationId: 'getKillmail',
      tags: TAGS,
      summary: 'One killmail: from the store, else fetched from zKillboard + ESI and enriched (not stored)',
      params: [KILLMAIL_ID],
      responses: { 200: { description: 'The killmail', schema: ref('KillmailEnvelope') }, ...errorResponses(400, 404, 429, 503) },
      handler: createKillmailHandler(deps),
    },
    {
      method: 'GET',
      path: '/api/v1/kills/count/:system_id',
      operationId: 'getSystemKillCount',
      tags: TAGS,
      summary: 'Number of stored kills in one system within the window',
      params: [SYSTEM_ID, SINCE_Q],
      responses: { 200: { description: 'Count', schema: ref('KillCountEnvelope') }, ...errorResponses(400) },
      handler: (ctx, input) => countKills(reader, ctx, input),
    },
  ];
}
