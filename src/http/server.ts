// The uWS app: kill routes, operations routes and /api/openapi on one router. Other stages
// (WebSocket hub, SSE, webhooks, /status) attach to `app` or add documented routes with
// route() before start().
import uWS, { type TemplatedApp, type us_listen_socket } from 'uWebSockets.js';
import type { Config } from '../config/index.js';
import type { HealthCheck, KillFetcher, KillReader, WsStats } from '../core/ports.js';
import type { Counters, Logger } from '../telemetry/index.js';
import { parseCors } from './cors.js';
import { killRoutes } from './kills.js';
import { HttpMetrics, type HttpStats } from './metrics.js';
import { buildOpenApi } from './openapi.js';
import { opsRoutes } from './ops.js';
import { respondJson } from './respond.js';
import type { RouteSpec } from './route-spec.js';
import { createRouter } from './router.js';

export interface HttpServerOptions {
  config: Config;
  logger: Logger;
  counters: Counters;
  reader: KillReader;
  fetchKill?: KillFetcher;
  health: Record<string, HealthCheck>;
  wsStats?: () => WsStats;
}

export interface HttpServer {
  /** The uWS app; other stages (WebSocket) attach here before start(). */
  readonly app: TemplatedApp;
  /** Add a documented route (SSE, webhooks, /status...): validated and listed in /api/openapi. */
  route(spec: RouteSpec): void;
  /** Listen on config.host/config.port; resolves with the bound port (config.port 0: any free one). */
  start(): Promise<number>;
  /** Close the listen socket and every connection. */
  stop(): void;
  /** Bound port, 0 before start(). */
  port(): number;
  /** Requests, statuses and latency summaries (µs) per route. */
  httpStats(): HttpStats;
  /** The route table (what /api/openapi documents). */
  routes(): readonly RouteSpec[];
}

/** The uWS .d.ts (v20.30) lacks `close` and the host + options overload of listen; both exist at runtime. */
type ClosableApp = TemplatedApp & {
  close(): void;
  listen(host: string, port: number, options: number, cb: (socket: us_listen_socket | false) => void): TemplatedApp;
};

// ListenOptions.LIBUS_LISTEN_EXCLUSIVE_PORT: the .d.ts declares it in an enum that has no
// runtime value; the native module exports it at the top level.
const LISTEN_EXCLUSIVE_PORT = 1;

const API_INFO = {
  title: 'wanderer-kills',
  version: '1.0.0',
  description: 'Real-time EVE Online killmails: REST, WebSocket (Phoenix Channels at /socket/websocket), SSE and webhooks.',
};

function assertNativeUws(): void {
  // The package falls back to a JS shim around `ws` when its native binary does not load for
  // this platform/Node ABI; the shim exports only App/_cfg/us_listen_socket_close/us_socket_local_port.
  const u = uWS as unknown as Record<string, unknown>;
  if (typeof u.getParts !== 'function' || typeof u.SSLApp !== 'function') {
    throw new Error(
      `http: uWebSockets.js did not load its native binary for ${process.platform}-${process.arch} node ${process.version}` +
        ' (the ws fallback is active); reinstall on a supported platform (Node 20, linux/darwin/win32 x64/arm64)',
    );
  }
}

export function createHttpServer(opts: HttpServerOptions): HttpServer {
  assertNativeUws();
  const app = uWS.App() as ClosableApp;
  const metrics = new HttpMetrics(opts.counters);
  const router = createRouter({ app, logger: opts.logger, metrics, cors: parseCors(opts.config.corsOrigins) });
  let boundPort = 0;
  let listenSocket: us_listen_socket | undefined;

  const upstreamPerIp = { perMinute: opts.config.upstreamPerIpPerMinute, burst: opts.config.upstreamPerIpBurst };
  const killDeps = {
    reader: opts.reader,
    fetchKill: opts.fetchKill,
    logger: opts.logger,
    counters: opts.counters,
    upstreamPerIp,
    cacheBytes: opts.config.restCacheBytes,
  };
  for (const r of killRoutes(killDeps)) router.route(r);
  const ops = opsRoutes({ config: opts.config, health: opts.health, wsStats: opts.wsStats, port: () => boundPort });
  for (const r of ops) router.route(r);

  let openApiText = '';
  let openApiVersion = -1;
  router.route({
    method: 'GET',
    path: '/api/openapi',
    operationId: 'openapi',
    tags: ['operations'],
    summary: 'This OpenAPI 3.1 document, generated from the route table',
    responses: { 200: { description: 'OpenAPI document', schema: { type: 'object' } } },
    handler: (ctx) => {
      if (openApiVersion !== router.version()) {
        openApiText = JSON.stringify(buildOpenApi(router.routes(), API_INFO));
        openApiVersion = router.version();
      }
      respondJson(ctx, 200, openApiText);
    },
  });

  return {
    app,
    route: (spec) => router.route(spec),
    port: () => boundPort,
    httpStats: () => metrics.stats(),
    routes: () => router.routes(),
    async start(): Promise<number> {
      await metrics.start();
      const { host, port } = opts.config;
      boundPort = await new Promise<number>((resolve, reject) => {
        // Exclusive: without it uWS sets SO_REUSEPORT, and a second process on the same port
        // would silently receive half of the connections instead of failing to start.
        app.listen(host, port, LISTEN_EXCLUSIVE_PORT, (socket) => {
          if (!socket) {
            reject(new Error(`http: could not listen on ${host}:${port}`));
            return;
          }
          listenSocket = socket;
          resolve(uWS.us_socket_local_port(socket));
        });
      });
      opts.logger.info({ host, port: boundPort }, 'http listening');
      return boundPort;
    },
    stop(): void {
      if (listenSocket) uWS.us_listen_socket_close(listenSocket);
      listenSocket = undefined;
      app.close();
      metrics.destroy();
    },
  };
}
