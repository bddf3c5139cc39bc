// REST API stage (docs/API.md#rest): what app.ts needs.

/**
 * createHttpServer({config, logger, counters, reader, fetchKill?, health, wsStats?}) builds the
 * uWS app with the kill routes, /ping, /health, /websocket(/status) when wsStats is given, and
 * /api/openapi. Attach WebSocket behaviour to `server.app` and extra routes with
 * `server.route(spec)` before `await server.start()`; `server.stop()` closes everything.
 */
export { createHttpServer, type HttpServer, type HttpServerOptions } from './server.js';
/** Route table types for stages that add documented routes (SSE, webhooks, /status). */
export {
  RouteInput,
  type RouteSpec,
  type ParamSpec,
  type BodySpec,
  type BodyFieldSpec,
  type ResponseSpec,
  type HttpMethod,
  type JsonSchema,
} from './route-spec.js';
/**
 * Response helpers: every write checks the aborted flag and corks. Streaming handlers (SSE) call
 * `ctx.watchAbort(listener)`, set `ctx.done`, then write `statusLine` + `writeCommonHeaders`
 * (x-request-id, CORS) inside `ctx.res.cork`.
 */
export {
  RequestCtx,
  respondData,
  respondError,
  respondJson,
  send,
  isoTimestamp,
  statusLine,
  writeCommonHeaders,
  JSON_TYPE,
  TEXT_TYPE,
  type ApiErrorCode,
  type HeaderList,
} from './respond.js';
/** Bodies built from stored JSON texts without re-encoding; chunked streaming with back-pressure. */
export { JsonBytes } from './json-bytes.js';
export { streamChunks } from './stream.js';
export { errorResponses, ref } from './openapi-schemas.js';
export type { ValueSpec } from './validate.js';
export type { HttpStats, RouteStats } from './metrics.js';
/** /status and /metrics (JSON and Prometheus) over the app's status sections. */
export { statusRoutes, type MetricsSource, type StatusDeps, type StatusSections } from './status.js';
/** The live dashboard page at `/` (polls /status). */
export { dashboardRoute } from './dashboard.js';
/** SSE routes over an SseService (src/fanout/sse) and the filter parser they use. */
export { sseRoutes } from './sse.js';
export { parseSseFilters } from './sse-filters.js';
/** /api/v1/subscriptions routes over a WebhookService, plus the WebSocket list and SSE count. */
export { subscriptionRoutes, type SubscriptionRouteDeps } from './subscriptions.js';
