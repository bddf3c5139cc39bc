// Operations routes (docs/API.md#routes): /ping, /health, /websocket, /websocket/status.
import type { HealthCheck, ComponentHealth, WsStats } from '../core/ports.js';
import type { Config } from '../config/index.js';
import { MAX_CHARACTERS, MAX_SYSTEMS } from '../core/limits.js';
import { isoTimestamp, respondJson, send, TEXT_TYPE, type RequestCtx } from './respond.js';
import type { RouteInput, RouteSpec } from './route-spec.js';
import { errorResponses, ref } from './openapi-schemas.js';

/** Per-process connection capacity the design is sized for (docs/PERFORMANCE.md). */
const WS_DEGRADED_CONNECTIONS = 10_000;
const HOST_OK = /^[A-Za-z0-9.\-]{1,253}(?::[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]{2,45}\](?::[0-9]{1,5})?$/;

export interface OpsDeps {
  config: Config;
  health: Record<string, HealthCheck>;
  wsStats?: (() => WsStats) | undefined;
  /** The bound port (known after start). */
  port: () => number;
}

function runCheck(check: HealthCheck): ComponentHealth {
  try {
    const r = check();
    return { healthy: r.healthy === true, message: String(r.message) }; // eslint-disable-line @typescript-eslint/no-unnecessary-boolean-literal-compare, @typescript-eslint/no-unnecessary-type-conversion -- a check from another stage is trusted only this far
  } catch (err) {
    return { healthy: false, message: `health check threw: ${(err as Error)?.message ?? String(err)}` };
  }
}

function health(deps: OpsDeps, ctx: RequestCtx): void {
  const components: Record<string, ComponentHealth> = {};
  let healthy = true;
  for (const [name, check] of Object.entries(deps.health)) {
    const c = runCheck(check);
    components[name] = c;
    healthy &&= c.healthy;
  }
  const body = { healthy, status: healthy ? 'ok' : 'degraded', components, timestamp: isoTimestamp() };
  respondJson(ctx, healthy ? 200 : 503, JSON.stringify(body));
}

/**
 * Scheme and host of the advertised WebSocket URL: --public-url when set (behind a proxy, the
 * only trustworthy source); otherwise the request's Host, if well-formed, as a development aid.
 */
function publicOrigin(deps: OpsDeps, input: RouteInput): [string, string] {
  const publicUrl = deps.config.publicUrl;
  const u = publicUrl === '' ? undefined : URL.parse(publicUrl);
  if (u) return [u.protocol === 'https:' || u.protocol === 'wss:' ? 'wss' : 'ws', u.host + u.pathname.replace(/\/+$/, '')];
  const hostHeader = input.header('host');
  const host = HOST_OK.test(hostHeader) ? hostHeader : `localhost:${deps.port()}`;
  return [input.header('x-forwarded-proto') === 'https' ? 'wss' : 'ws', host];
}

function websocketInfo(deps: OpsDeps, ctx: RequestCtx, input: RouteInput): void {
  const [scheme, host] = publicOrigin(deps, input);
  const { config } = deps;
  const body = {
    websocket_url: `${scheme}://${host}/socket`,
    websocket_endpoint: `${scheme}://${host}/socket/websocket`,
    protocol: 'Phoenix Channels',
    version: '2.0.0',
    supported_versions: ['1.0.0', '2.0.0'],
    channels: { killmails: 'killmails:lobby', firehose: 'killmails:all' },
    authentication: { required: false, type: 'none', description: 'No authentication required for public killmail data' },
    limits: {
      max_systems: MAX_SYSTEMS,
      max_characters: MAX_CHARACTERS,
      idle_timeout_seconds: config.wsIdleTimeoutSeconds,
      max_frame_bytes: config.wsMaxPayloadBytes,
    },
  };
  respondJson(ctx, 200, JSON.stringify(body));
}

function websocketStatus(stats: () => WsStats, ctx: RequestCtx): void {
  const s = stats();
  const body = {
    status: s.activeConnections >= WS_DEGRADED_CONNECTIONS ? 'degraded' : 'operational',
    active_connections: s.activeConnections,
    active_subscriptions: s.activeSubscriptions,
    uptime_seconds: Math.max(0, Math.floor((Date.now() - s.startedAtMs) / 1000)),
    timestamp: isoTimestamp(),
  };
  respondJson(ctx, 200, JSON.stringify(body));
}

const OPS = ['operations'] as const;

export function opsRoutes(deps: OpsDeps): RouteSpec[] {
  const routes: RouteSpec[] = [
    {
      method: 'GET',
      path: '/ping',
      operationId: 'ping',
      tags: OPS,
      summary: 'Liveness: answers pong',
      responses: { 200: { description: 'pong', contentType: 'text/plain', schema: { type: 'string', const: 'pong' } } },
      handler: (ctx) => void send(ctx, 200, TEXT_TYPE, 'pong'),
    },
    {
      method: 'GET',
      path: '/health',
      operationId: 'health',
      tags: OPS,
      summary: 'Health of the feed, database, worker pool and other components; 503 when any is unhealthy',
      responses: {
        200: { description: 'Healthy', schema: ref('Health') },
        503: { description: 'At least one component unhealthy', schema: ref('Health') },
      },
      handler: (ctx) => health(deps, ctx),
    },
  ];
  const stats = deps.wsStats;
  if (!stats) return routes;
  routes.push(
    {
      method: 'GET',
      path: '/websocket',
      operationId: 'websocketInfo',
      tags: OPS,
      headers: ['host', 'x-forwarded-proto'],
      summary: 'WebSocket connection info with the real limits',
      responses: { 200: { description: 'Connection info', schema: { type: 'object' } } },
      handler: (ctx, input) => websocketInfo(deps, ctx, input),
    },
    {
      method: 'GET',
      path: '/websocket/status',
      operationId: 'websocketStatus',
      tags: OPS,
      summary: 'WebSocket server statistics',
      responses: { 200: { description: 'Statistics', schema: ref('WebSocketStatus') }, ...errorResponses(500) },
      handler: (ctx) => websocketStatus(stats, ctx),
    },
  );
  return routes;
}
