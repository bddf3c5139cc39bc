// Fan-out stage (docs/API.md#websocket): the in-process kill bus and the Phoenix Channels WebSocket hub.
// app.ts is the only importer.

/**
 * `createBus(opts?)`: the in-process {@link KillBus}. Listeners run synchronously in
 * subscription order; a throwing listener is counted (`bus.listener_errors`) and logged.
 */
export { createBus, type BusOptions } from './bus.js';

/**
 * `createFanout({ config, logger, counters, reader, bus, latency? })` → {@link Fanout}:
 * `attach(app)` registers `/socket/websocket` on a uWS app (call before `listen`), `start()`
 * subscribes to the bus, `stop()` unsubscribes and closes every socket (1001 `server_shutdown`),
 * `stats()` feeds /status and /websocket/status, `subscriptionStats()` and `subscriptions()` feed
 * /api/v1/subscriptions(/stats).
 */
export { createFanout, negotiateVsn, SOCKET_PATH, type Fanout, type FanoutOptions, type SubscriptionStats } from './hub.js';
export type { WsSubscriptionInfo } from './subscriptions.js';
export type { LatencySink } from './broadcast.js';
/** Limits a client sees (for `GET /websocket`). */
export { MAX_SYSTEMS, MAX_CHARACTERS, MAX_SYSTEM_ID } from './validate.js';
export { LOBBY_TOPIC, FIREHOSE_TOPIC } from './state.js';
/** `createSseHub({config, logger, counters, reader, resume, bus})`: the SSE service (docs/API.md). */
export { createSseHub, type SseHub } from './sse/hub.js';
/** `createWebhooks({config, logger, counters, store})`: webhook subscriptions, outbox and delivery (docs/API.md). */
export { createWebhooks, type Webhooks } from './webhooks/service.js';
