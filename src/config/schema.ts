// Every configuration key: its type, default, bounds and unit. The flag is the
// kebab-case of the key, the environment variable WK_ + UPPER_SNAKE (WK_CUTOFF_SECONDS).
import { availableParallelism } from 'node:os';

export type KeySpec =
  | { type: 'int'; default: number; min: number; max: number; doc: string }
  | { type: 'number'; default: number; min: number; max: number; doc: string }
  | { type: 'string'; default: string; doc: string; allowEmpty?: boolean }
  | { type: 'url'; default: string; doc: string }
  | { type: 'bool'; default: boolean; doc: string }
  | { type: 'enum'; default: string; values: readonly string[]; doc: string };

const DEFAULT_WORKERS = Math.max(1, Math.min(4, availableParallelism()));

export const SCHEMA = {
  source: { type: 'enum', default: 'r2z2', values: ['r2z2', 'redisq', 'sim', 'none'], doc: 'live feed' },
  r2z2Url: { type: 'url', default: 'https://r2z2.zkillboard.com', doc: 'R2Z2 base URL' },
  redisqUrl: { type: 'url', default: 'https://zkillredisq.stream/listen.php', doc: 'RedisQ listen URL' },
  redisqQueueId: { type: 'string', default: '', allowEmpty: true, doc: 'RedisQ queueID (empty: generated once, persisted)' },
  redisqTtwSeconds: { type: 'int', default: 10, min: 1, max: 10, doc: 'RedisQ time-to-wait, seconds' },
  esiUrl: { type: 'url', default: 'https://esi.evetech.net', doc: 'ESI base URL' },
  esiCompatibilityDate: { type: 'string', default: '2026-07-21', doc: 'X-Compatibility-Date sent to ESI' },
  zkbUrl: { type: 'url', default: 'https://zkillboard.com', doc: 'zKillboard base URL (REST API under /api)' },
  userAgent: {
    type: 'string',
    default:
      'wanderer-kills-ts/0.1 (operator: set WK_USER_AGENT with contact details; +https://github.com/wanderer-industries/wanderer-kills)',
    doc: 'User-Agent for zKillboard and ESI, with contact details',
  },
  db: { type: 'string', default: './data/wanderer-kills.db', doc: 'SQLite file (":memory:" for tests)' },
  host: { type: 'string', default: '0.0.0.0', doc: 'listen address' },
  port: { type: 'int', default: 4004, min: 0, max: 65535, doc: 'listen port (0: any free port)' },
  cutoffSeconds: {
    type: 'int',
    default: 3600,
    min: 0,
    max: 31_536_000,
    doc: 'kills older than this are `older`, not broadcast; 0 disables',
  },
  retentionHours: { type: 'int', default: 168, min: 0, max: 87_600, doc: 'stored kills older than this are pruned; 0 disables' },
  workers: { type: 'int', default: DEFAULT_WORKERS, min: 1, max: 64, doc: 'pipeline worker threads' },
  workerYoungGenerationMb: {
    type: 'int',
    default: 0,
    min: 0,
    max: 1024,
    doc: "each pipeline worker's V8 young generation, MB (0: V8's default, 48 MB on this build); 24 saves ~15-25 MB per worker for ~7 % of peak ingest",
  },
  workerNice: {
    type: 'int',
    default: 5,
    min: 0,
    max: 19,
    doc: 'on Linux, pipeline workers run this many nice levels below the process: under full load the main thread (store, REST, sockets) gets a core first; 0 disables',
  },
  transcode: {
    type: 'bool',
    default: true,
    doc: 'pipeline workers write inline entries as canonical JSON straight from their bytes (the same bytes as the general parse, validate and serialise path, for under half its CPU), with their names when enriching and the worker caches hold them all; off: the general path for every entry',
  },
  ringBytes: {
    type: 'int',
    default: 1024 * 1024,
    min: 64 * 1024,
    max: 1024 * 1024 * 1024,
    doc: 'bytes per ring queue, two per worker (rounded up to a power of two); an entry over a quarter of it skips the rings',
  },
  maxEntryBytes: { type: 'int', default: 4 * 1024 * 1024, min: 1024, max: 256 * 1024 * 1024, doc: 'largest accepted feed entry, bytes' },
  logLevel: { type: 'enum', default: 'info', values: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], doc: 'pino level' },
  statusIntervalSeconds: { type: 'int', default: 300, min: 0, max: 86_400, doc: 'status report period; 0 disables' },
  metrics: {
    type: 'bool',
    default: true,
    doc: 'record latency histograms, process metrics and the dashboard window; off only to measure their cost (bench telemetry)',
  },
  enrich: { type: 'bool', default: true, doc: 'resolve names through ESI' },
  enrichBudgetMs: { type: 'int', default: 2000, min: 0, max: 60_000, doc: 'longest a kill waits for names before it is stored with ids' },
  simRate: { type: 'number', default: 1, min: 0, max: 1_000_000, doc: 'simulator kills per second (--source sim)' },
  simSeed: { type: 'int', default: 1, min: 0, max: 2_147_483_647, doc: 'simulator seed' },
  simReplay: { type: 'string', default: '', allowEmpty: true, doc: 'simulator: replay ESI killmails from this folder' },
  simHistoryDays: { type: 'int', default: 0, min: 0, max: 366, doc: 'simulator: days of archived kills served by /history (--source sim)' },
  simHistoryKillsPerDay: { type: 'int', default: 50, min: 1, max: 1_000_000, doc: 'simulator: kills per archived day' },
  gapRepair: { type: 'bool', default: true, doc: 'repair R2Z2 gaps past the ephemeral window from /history (+ ESI)' },
  gapRepairRate: {
    type: 'int',
    default: 200,
    min: 1,
    max: 1_000_000,
    doc: 'most kills per second a gap repair pushes (live ingest keeps priority)',
  },
  backfillConcurrency: {
    type: 'int',
    default: 4,
    min: 1,
    max: 64,
    doc: 'backfill/gap repair: id → hash ESI fetches in the pipeline at once',
  },
  corsOrigins: { type: 'string', default: '*', doc: 'comma-separated CORS allow-list ("*" for any)' },
  allowPrivateWebhooks: { type: 'bool', default: false, doc: 'allow webhook callbacks to loopback/private addresses' },
  wsIdleTimeoutSeconds: { type: 'int', default: 60, min: 8, max: 960, doc: 'WebSocket idle timeout (uWS aborts below 8)' },
  wsMaxBackpressureBytes: {
    type: 'int',
    default: 1024 * 1024,
    min: 16 * 1024,
    max: 256 * 1024 * 1024,
    doc: 'per-socket send buffer before a slow client is dropped',
  },
  wsMaxPayloadBytes: { type: 'int', default: 128 * 1024, min: 1024, max: 16 * 1024 * 1024, doc: 'largest inbound WebSocket frame' },
  sseMaxConnections: { type: 'int', default: 100, min: 1, max: 100_000, doc: 'SSE connections in total' },
  sseMaxPerIp: { type: 'int', default: 10, min: 1, max: 100_000, doc: 'SSE connections per client IP' },
  natsUrl: {
    type: 'string',
    default: '',
    allowEmpty: true,
    doc: 'NATS server URL(s), comma-separated: run as one node of a cluster (empty: one process)',
  },
  role: {
    type: 'enum',
    default: 'all',
    values: ['all', 'ingest', 'edge'],
    doc: 'cluster role: all (leader candidate, serves clients), ingest (leader candidate, no push channels), edge (serves clients from the stream)',
  },
  nodeId: { type: 'string', default: '', allowEmpty: true, doc: 'cluster node id (empty: host:port:pid)' },
  clusterStream: { type: 'string', default: 'KILLS', doc: 'JetStream stream of stored kills (its KV buckets are named after it)' },
  clusterLeaseMs: {
    type: 'int',
    default: 5000,
    min: 1000,
    max: 60_000,
    doc: 'leader lease TTL: a standby takes over this long after the leader stops renewing',
  },
  clusterMaxLag: {
    type: 'int',
    default: 1000,
    min: 1,
    max: 100_000_000,
    doc: 'stream messages an edge may stay behind for 5 s and still report healthy',
  },
  clusterReplicas: {
    type: 'int',
    default: 1,
    min: 1,
    max: 5,
    doc: 'JetStream replicas of the kill stream and KV buckets (3 on a three-server NATS cluster)',
  },
  clusterStreamMaxBytes: {
    type: 'int',
    default: 4 * 1024 ** 3,
    min: 1024 * 1024,
    max: 1024 ** 4,
    doc: 'size limit of the kill stream, bytes (its age limit is --retention-hours)',
  },
  zkbMaxPerSecond: {
    type: 'int',
    default: 5,
    min: 1,
    max: 10,
    doc: 'zKB API requests per second, all lookups together (zKillboard allows about 10)',
  },
  zkbMaxInFlight: { type: 'int', default: 4, min: 1, max: 64, doc: 'zKB API lookups running at once' },
  zkbMaxWaiting: { type: 'int', default: 32, min: 0, max: 10_000, doc: 'zKB API lookups queued before new ones get 503 at once' },
  zkbMissCacheEntries: {
    type: 'int',
    default: 10_000,
    min: 0,
    max: 10_000_000,
    doc: 'ids remembered as unknown to zKB (negative cache; 0 disables)',
  },
  zkbMissCacheMaxSeconds: {
    type: 'int',
    default: 3600,
    min: 0,
    max: 86_400,
    doc: "longest a miss is remembered (zKB's max-age is honoured up to this)",
  },
  zkbMaxPauseSeconds: {
    type: 'int',
    default: 86_400,
    min: 1,
    max: 604_800,
    doc: "longest pause of all zKB lookups a 429's Retry-After may impose",
  },
  upstreamPerIpPerMinute: {
    type: 'int',
    default: 30,
    min: 0,
    max: 1_000_000,
    doc: 'requests per client IP per minute that may reach an upstream (zKB); 0 disables',
  },
  upstreamPerIpBurst: { type: 'int', default: 10, min: 1, max: 1_000_000, doc: 'burst of such requests a client IP may make at once' },
  sseMaxBufferedBytes: {
    type: 'int',
    default: 1024 * 1024,
    min: 16 * 1024,
    max: 256 * 1024 * 1024,
    doc: 'unsent bytes an SSE client may hold before it is dropped as a slow reader',
  },
  sseHeartbeatSeconds: {
    type: 'int',
    default: 30,
    min: 1,
    max: 3600,
    doc: 'enhanced SSE heartbeat period (standard streams ping after a third of it idle)',
  },
  apiToken: {
    type: 'string',
    default: '',
    allowEmpty: true,
    doc: 'bearer token required by the mutating /api/v1/subscriptions routes (empty: none)',
  },
  wsToken: {
    type: 'string',
    default: '',
    allowEmpty: true,
    doc: 'token a WebSocket client must pass as the `token` connect param (empty: none)',
  },
  webhookBatchMs: {
    type: 'int',
    default: 5000,
    min: 0,
    max: 600_000,
    doc: "webhook batch window: a subscription's kills wait at most this long (or until 50) before a POST",
  },
  webhookRetryMs: {
    type: 'string',
    default: '60000,300000,900000,3600000',
    doc: 'webhook retry delays, ms, comma-separated; after the last one a delivery is dropped',
  },
  webhookTimeoutMs: { type: 'int', default: 10_000, min: 100, max: 120_000, doc: 'webhook request timeout' },
  webhookMaxPerHost: { type: 'int', default: 4, min: 1, max: 1000, doc: 'concurrent webhook POSTs per receiver host' },
  wsReplyListMax: {
    type: 'int',
    default: 1000,
    min: 10,
    max: 50_000,
    doc: 'ids per list in WebSocket replies; longer lists are paged with get_subscriptions',
  },
  wsEventsPerSecond: {
    type: 'number',
    default: 50,
    min: 0.1,
    max: 1_000_000,
    doc: 'inbound WebSocket budget per socket, tokens per second (a frame costs 1 + 1 per KiB); over it the socket is closed 1008',
  },
  wsEventBurst: {
    type: 'int',
    default: 1000,
    min: 1,
    max: 10_000_000,
    doc: 'inbound WebSocket budget per socket: tokens available at once (a frame costs 1 + 1 per KiB)',
  },
  wsIpEventsPerSecond: {
    type: 'number',
    default: 200,
    min: 0.1,
    max: 1_000_000,
    doc: 'inbound WebSocket budget shared by the sockets of one client IP, tokens per second',
  },
  wsIpEventBurst: {
    type: 'int',
    default: 2000,
    min: 1,
    max: 10_000_000,
    doc: 'inbound WebSocket budget shared by the sockets of one client IP: tokens available at once',
  },
  wsMaxConnections: {
    type: 'int',
    default: 10_000,
    min: 1,
    max: 1_000_000,
    doc: 'WebSocket connections in total (also held below the descriptor limit minus fdReserve); beyond, upgrades get 503',
  },
  wsMaxPerIp: { type: 'int', default: 200, min: 1, max: 1_000_000, doc: 'WebSocket connections per client IP; beyond, upgrades get 429' },
  fdReserve: {
    type: 'int',
    default: 512,
    min: 0,
    max: 1_000_000,
    doc: 'file descriptors kept free for REST, /health and the database when capping connections',
  },
  dbWriterThread: {
    type: 'bool',
    default: false,
    doc: "store the ingest's batches from a thread of their own with its own database connection (file databases): SQLite's inserts, commits and WAL restarts no longer stall REST and sockets (event-loop delay max ~100 ms -> ~30 ms under full ingest), for ~10 % less peak ingest on 2 cores",
  },
  dbLockWaitMs: {
    type: 'int',
    default: 50,
    min: 0,
    max: 10_000,
    doc: "longest the server waits for another process's database lock before retrying on a timer, ms (the wait blocks the event loop)",
  },
  publicUrl: {
    type: 'string',
    default: '',
    allowEmpty: true,
    doc: 'public base URL (https://kills.example.com) advertised by GET /websocket instead of the request Host',
  },
  dbCacheBytes: {
    type: 'int',
    default: 64 * 1024 * 1024,
    min: 1024 * 1024,
    max: 16 * 1024 * 1024 * 1024,
    doc: 'SQLite page cache of the reading connection (REST, preload), bytes: less memory, dearer cold reads once the stored kills outgrow it',
  },
  dbWriterCacheBytes: {
    type: 'int',
    default: 16 * 1024 * 1024,
    min: 1024 * 1024,
    max: 16 * 1024 * 1024 * 1024,
    doc: "SQLite page cache of the writing connection, bytes: it holds a batch's dirty pages; its reads come through the memory map",
  },
  restCacheBytes: {
    type: 'int',
    default: 64 * 1024 * 1024,
    min: 0,
    max: 16 * 1024 * 1024 * 1024,
    doc: 'REST answer cache size, bytes (0: build every answer)',
  },
} as const satisfies Record<string, KeySpec>;

export type ConfigKey = keyof typeof SCHEMA;

type ValueOf<S> = S extends { type: 'int' | 'number' } ? number : S extends { type: 'bool' } ? boolean : string;

export type Config = { readonly [K in ConfigKey]: ValueOf<(typeof SCHEMA)[K]> };

export function envName(key: string): string {
  return 'WK_' + key.replace(/([A-Z])/g, '_$1').toUpperCase();
}

export function flagName(key: string): string {
  return key.replace(/([A-Z])/g, '-$1').toLowerCase();
}
