// Every configuration key: its type, default, bounds and unit (STYLE §9). The flag is the
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
    default: 'wanderer-kills-ts/0.1 (operator: set WK_USER_AGENT with contact details; +https://github.com/wanderer-industries/wanderer-kills)',
    doc: 'User-Agent for zKillboard and ESI, with contact details',
  },
  db: { type: 'string', default: './data/wanderer-kills.db', doc: 'SQLite file (":memory:" for tests)' },
  host: { type: 'string', default: '0.0.0.0', doc: 'listen address' },
  port: { type: 'int', default: 4004, min: 0, max: 65535, doc: 'listen port (0: any free port)' },
  cutoffSeconds: { type: 'int', default: 3600, min: 0, max: 31_536_000, doc: 'kills older than this are `older`, not broadcast; 0 disables' },
  retentionHours: { type: 'int', default: 168, min: 0, max: 87_600, doc: 'stored kills older than this are pruned; 0 disables' },
  workers: { type: 'int', default: DEFAULT_WORKERS, min: 1, max: 64, doc: 'pipeline worker threads' },
  ringBytes: { type: 'int', default: 4 * 1024 * 1024, min: 64 * 1024, max: 1024 * 1024 * 1024, doc: 'bytes per ring queue (rounded up to a power of two)' },
  maxEntryBytes: { type: 'int', default: 4 * 1024 * 1024, min: 1024, max: 256 * 1024 * 1024, doc: 'largest accepted feed entry, bytes' },
  logLevel: { type: 'enum', default: 'info', values: ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'], doc: 'pino level' },
  statusIntervalSeconds: { type: 'int', default: 300, min: 0, max: 86_400, doc: 'status report period; 0 disables' },
  metrics: { type: 'bool', default: true, doc: 'record latency histograms, process metrics and the dashboard window; off only to measure their cost (bench telemetry)' },
  enrich: { type: 'bool', default: true, doc: 'resolve names through ESI' },
  enrichBudgetMs: { type: 'int', default: 2000, min: 0, max: 60_000, doc: 'longest a kill waits for names before it is stored with ids' },
  simRate: { type: 'number', default: 1, min: 0, max: 1_000_000, doc: 'simulator kills per second (--source sim)' },
  simSeed: { type: 'int', default: 1, min: 0, max: 2_147_483_647, doc: 'simulator seed' },
  simReplay: { type: 'string', default: '', allowEmpty: true, doc: 'simulator: replay ESI killmails from this folder' },
  corsOrigins: { type: 'string', default: '*', doc: 'comma-separated CORS allow-list ("*" for any)' },
  allowPrivateWebhooks: { type: 'bool', default: false, doc: 'allow webhook callbacks to loopback/private addresses' },
  wsIdleTimeoutSeconds: { type: 'int', default: 60, min: 8, max: 960, doc: 'WebSocket idle timeout (uWS aborts below 8)' },
  wsMaxBackpressureBytes: { type: 'int', default: 1024 * 1024, min: 16 * 1024, max: 256 * 1024 * 1024, doc: 'per-socket send buffer before a slow client is dropped' },
  wsMaxPayloadBytes: { type: 'int', default: 128 * 1024, min: 1024, max: 16 * 1024 * 1024, doc: 'largest inbound WebSocket frame' },
  sseMaxConnections: { type: 'int', default: 100, min: 1, max: 100_000, doc: 'SSE connections in total' },
  sseMaxPerIp: { type: 'int', default: 10, min: 1, max: 100_000, doc: 'SSE connections per client IP' },
} as const satisfies Record<string, KeySpec>;

export type ConfigKey = keyof typeof SCHEMA;

type ValueOf<S> = S extends { type: 'int' | 'number' }
  ? number
  : S extends { type: 'bool' }
    ? boolean
    : string;

export type Config = { readonly [K in ConfigKey]: ValueOf<(typeof SCHEMA)[K]> };

export function envName(key: string): string {
  return 'WK_' + key.replace(/([A-Z])/g, '_$1').toUpperCase();
}

export function flagName(key: string): string {
  return key.replace(/([A-Z])/g, '-$1').toLowerCase();
}
