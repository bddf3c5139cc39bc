// /status and /metrics: the running stages' own numbers, never placeholders. /status is
// `{metrics, summary, timestamp}` (per-stage sections); /metrics is the metric registry's
// families as JSON, or the Prometheus text exposition with ?format=prometheus or
// `Accept: text/plain` (docs/OPERATIONS.md lists every family).
import { isoTimestamp, respondJson, send, type RequestCtx } from './respond.js';
import type { RouteInput, RouteSpec } from './route-spec.js';

export type StatusSections = Record<string, Record<string, unknown>>;

/** What /metrics renders: the declared families (src/telemetry/metrics) as text or JSON. */
export interface MetricsSource {
  text(): Promise<string>;
  json(): Record<string, unknown>;
  readonly contentType: string;
}

export interface StatusDeps {
  sections: () => StatusSections;
  exposition: MetricsSource;
  /** Monotonic request counter (all routes), for the requests-per-minute rate. */
  requestsTotal: () => number;
}

const RATE_WINDOW_MS = 60_000;

/** Requests per minute over the last minute, from samples of the running total taken on reads. */
class RequestRate {
  private readonly samples: [number, number][];
  constructor(private readonly total: () => number) {
    this.samples = [[Date.now(), total()]]; // the first read rates the time since start
  }

  perMinute(nowMs: number): number {
    const total = this.total();
    this.samples.push([nowMs, total]);
    while (this.samples.length > 1 && (this.samples[1] as [number, number])[0] <= nowMs - RATE_WINDOW_MS) this.samples.shift();
    const [t0, n0] = this.samples[0] as [number, number];
    const spanMs = Math.max(nowMs - t0, 1000);
    return Math.round(((total - n0) * RATE_WINDOW_MS) / spanMs);
  }
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0;
}

function summary(s: StatusSections, requestsPerMinute: number): Record<string, unknown> {
  const process = s.process ?? {};
  const feed = s.feed ?? {};
  return {
    api_requests_per_minute: requestsPerMinute,
    active_subscriptions: num(s.websocket?.activeSubscriptions),
    websocket_connections: num(s.websocket?.activeConnections),
    killmails_stored: num(s.storage?.killmails),
    cache_hit_rate: s.enrich?.cache_hit_rate ?? null,
    memory_usage_mb: num(process.rss_mb),
    uptime_hours: Math.round((num(process.uptime_seconds) / 3600) * 100) / 100,
    processing_lag_seconds: typeof feed.lastEntryAgeMs === 'number' ? Math.round(feed.lastEntryAgeMs / 1000) : null,
  };
}

function wantsPrometheus(input: RouteInput): boolean {
  const format = input.optional('format');
  if (format === 'prometheus') return true;
  if (format === 'json') return false;
  const accept = input.header('accept');
  return accept.includes('text/plain') && !accept.includes('application/json');
}

/**
 * Computed at most once per `ttlMs` and shared by every caller in between: the sections walk every
 * stage and histogram (~40x the cost of /ping), and 50 dashboards polling /status slowed
 * everyone's /ping from 1 to 152 ms.
 */
function shared<T>(compute: () => T, ttlMs: number): () => T {
  let at = -Infinity;
  let value: T;
  return () => {
    const now = performance.now();
    if (now - at >= ttlMs) {
      value = compute();
      at = now;
    }
    return value;
  };
}

const STATUS_TTL_MS = 1000;

export function statusRoutes(deps: StatusDeps): RouteSpec[] {
  const rate = new RequestRate(deps.requestsTotal);
  const sections = shared(deps.sections, STATUS_TTL_MS);
  const statusText = shared(() => {
    const metrics = sections();
    return JSON.stringify({ metrics, summary: summary(metrics, rate.perMinute(Date.now())), timestamp: isoTimestamp() });
  }, STATUS_TTL_MS);
  const OPS = ['operations'];
  return [
    {
      method: 'GET',
      path: '/status',
      operationId: 'status',
      tags: OPS,
      summary: 'Feed, pipeline, storage, WebSocket, API, cache, memory and latency figures with a summary',
      responses: {
        200: { description: '{metrics, summary, timestamp}', schema: { type: 'object', required: ['metrics', 'summary', 'timestamp'] } },
      },
      handler: (ctx: RequestCtx) => void respondJson(ctx, 200, statusText()),
    },
    {
      method: 'GET',
      path: '/metrics',
      operationId: 'metrics',
      tags: OPS,
      headers: ['accept'],
      summary:
        'Every declared metric family (type, unit, help, values) as JSON, or Prometheus text (?format=prometheus or Accept: text/plain)',
      params: [
        {
          name: 'format',
          in: 'query',
          description: 'json (default) or prometheus',
          value: { type: 'string', maxLength: 16, enum: ['json', 'prometheus'] },
        },
      ],
      responses: {
        200: { description: 'Metrics (JSON, or Prometheus text exposition)', schema: { type: 'object' } },
      },
      handler: async (ctx: RequestCtx, input: RouteInput) => {
        const { exposition } = deps;
        if (wantsPrometheus(input)) send(ctx, 200, exposition.contentType, await exposition.text());
        else respondJson(ctx, 200, JSON.stringify({ metrics: exposition.json(), timestamp: isoTimestamp() }));
      },
    },
  ];
}
