// SSE routes (docs/API.md "Server-Sent Events"): parse and validate the filters, apply the
// connection limits, write the event-stream headers and hand a StreamSink over the uWS response
// to the SSE service (src/fanout/sse), which decides every frame.
import type { SseService, StreamSink } from '../core/ports.js';
import { monoUs } from '../core/clock.js';
import { respondError, send, statusLine, writeCommonHeaders, type RequestCtx } from './respond.js';
import type { ParamSpec, RouteInput, RouteSpec } from './route-spec.js';
import { errorResponses } from './openapi-schemas.js';
import { parseSseFilters } from './sse-filters.js';

export const SSE_TYPE = 'text/event-stream' as const;
const SSE_HEADERS = [
  ['cache-control', 'no-cache'],
  ['x-accel-buffering', 'no'],
] as const;

const TEXT = { type: 'string', maxLength: 4096 } as const;
const PARAMS: readonly ParamSpec[] = [
  { name: 'system_ids', in: 'query', value: TEXT, description: 'Comma-separated system ids (at most 100)' },
  { name: 'character_ids', in: 'query', value: TEXT, description: 'Comma-separated character ids, victim or attacker (at most 100)' },
  { name: 'min_value', in: 'query', value: TEXT, description: 'Only kills whose zkb.totalValue is at least this (ISK, >= 0)' },
  {
    name: 'preload_days',
    in: 'query',
    value: TEXT,
    description: 'Enhanced stream: send this many days of stored kills first (0..90, larger values capped at 90)',
  },
];

function optionalText(input: RouteInput, name: string): string | undefined {
  const v = input.optional(name);
  return typeof v === 'string' ? v : undefined;
}

/** `Last-Event-ID` as a killmail id; anything else is ignored (the stream starts live). */
export function lastEventId(header: string): number | undefined {
  const t = header.trim();
  if (!/^[1-9]\d{0,15}$/.test(t)) return undefined;
  const n = Number(t);
  return Number.isSafeInteger(n) ? n : undefined;
}

/** Keep the response open as an event stream; uWS buffers what the socket does not take yet. */
function openStream(ctx: RequestCtx, start: (sink: StreamSink) => () => void): void {
  ctx.done = true;
  ctx.keepOpen = true;
  const res = ctx.res;
  let pending = 0;
  let ended = false;
  // Set once the service has the stream; an abort before that has nothing to release.
  const hooks: { onDisconnect?: () => void } = {};
  const finish = (): void => {
    if (ended) return;
    ended = true;
    ctx.finished = true;
    ctx.recorder.record(200, monoUs() - ctx.startUs);
  };
  ctx.watchAbort(() => {
    finish();
    hooks.onDisconnect?.();
  });
  // uWS calls this once the socket has drained what was buffered.
  res.onWritable(() => {
    pending = 0;
    return true;
  });
  const sink: StreamSink = {
    write(chunk) {
      if (ended || ctx.aborted) return false;
      let ok = false;
      res.cork(() => {
        ok = res.write(chunk);
      });
      if (!ok) pending += chunk.length;
      return ok;
    },
    pendingBytes: () => pending,
    close() {
      if (ended || ctx.aborted) return;
      finish();
      // close(), not end(): a slow reader would otherwise keep the socket and its buffer.
      res.close();
    },
  };
  res.cork(() => {
    res.writeStatus(statusLine(200));
    writeCommonHeaders(ctx, SSE_HEADERS);
    res.writeHeader('content-type', SSE_TYPE);
  });
  hooks.onDisconnect = start(sink);
}

function handler(sse: SseService, mode: 'standard' | 'enhanced') {
  return (ctx: RequestCtx, input: RouteInput): void => {
    const parsed = parseSseFilters({
      system_ids: optionalText(input, 'system_ids'),
      character_ids: optionalText(input, 'character_ids'),
      min_value: optionalText(input, 'min_value'),
      preload_days: optionalText(input, 'preload_days'),
    });
    if (!parsed.ok) {
      respondError(ctx, 400, 'validation_error', parsed.message, { field: parsed.field, value: parsed.value });
      return;
    }
    const ip = Buffer.from(ctx.res.getRemoteAddressAsText()).toString();
    const refusal = sse.refuse(ip);
    if (refusal) {
      respondError(ctx, refusal.status, refusal.status === 503 ? 'unavailable' : 'rate_limited', refusal.message, refusal.details, [
        ['retry-after', '5'],
      ]);
      return;
    }
    if (ctx.head) {
      send(ctx, 200, SSE_TYPE, '', SSE_HEADERS);
      return;
    }
    const req = { mode, filters: parsed.filters, ip, lastEventId: lastEventId(input.header('last-event-id')) };
    openStream(ctx, (sink) => sse.open(req, sink));
  };
}

export function sseRoutes(sse: SseService): RouteSpec[] {
  const common = {
    method: 'GET' as const,
    tags: ['sse'],
    params: PARAMS,
    headers: ['last-event-id'],
    responses: {
      200: { description: 'An event stream', contentType: SSE_TYPE },
      ...errorResponses(400, 429, 503),
    },
  };
  return [
    {
      ...common,
      path: '/api/v1/kills/stream',
      operationId: 'killStream',
      summary: 'Server-Sent Events: `killmail` frames (id = killmail_id) matching the filters; `: ping` when idle',
      handler: handler(sse, 'standard'),
    },
    {
      ...common,
      path: '/api/v1/kills/stream/enhanced',
      operationId: 'killStreamEnhanced',
      summary: 'Server-Sent Events: `connected`, preload `batch` frames, `transition`, then `killmail` frames and `heartbeat`',
      handler: handler(sse, 'enhanced'),
    },
  ];
}
