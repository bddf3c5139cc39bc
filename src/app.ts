// createApp(config): the one composition root (docs/ARCHITECTURE.md). Stages meet only here:
//   feed ──RawEntry──► pipeline (rings + workers) ──outcomes──► store writer ──stored──► bus ──► fan-out
//   REST and WebSocket read the store through its read connection.
// Start order follows the data backwards (consumers before producers); stop is the reverse, so
// the rings drain into the store before the sockets close.
import type { Config } from './config/index.js';
import type { Feed, HealthCheck, IngestSink, KillFetcher, SubscriptionChange } from './core/ports.js';
import { createFeed, R2Z2_CURSOR, type CreateFeedDeps, type FeedHandle } from './feeds/index.js';
import { createPipeline, type Pipeline } from './pipeline/index.js';
import { openStore, type Store } from './store/index.js';
import { createBus, createFanout, type Fanout } from './fanout/index.js';
import { createSseHub, createWebhooks } from './fanout/index.js';
import { sseRoutes, subscriptionRoutes } from './http/index.js';
import { createHttpServer, dashboardRoute, statusRoutes, type HttpServer } from './http/index.js';
import { createCacheWriter, createSharedLimits } from './enrich/index.js';
import { createSimulator, simOptionsFromConfig, type SimOptions, type Simulator } from './sim/index.js';
import {
  Counters,
  Exposition,
  ProcessMonitor,
  StatusWindow,
  createLogger,
  initHistograms,
  mergeWorkerHistograms,
  secondsSummary,
  startStatusReporter,
  ThreadCpu,
  type Logger,
  type Section,
} from './telemetry/index.js';
import { gaugeReadings } from './app-metrics.js';
import { createKillFetcher, createResultSink, type ResultSink } from './ingest/index.js';
import type { Cluster } from './cluster/index.js';

export interface AppOptions {
  logger?: Logger;
  counters?: Counters;
  /** Replace the configured feed (benchmarks drive the pipeline directly). */
  feed?: (sink: IngestSink) => Feed | undefined;
  /** Extra simulator options for --source sim (tests: rate 0 and manual publish). */
  sim?: SimOptions;
  /** Serve HTTP/WebSocket (default true); benches of the ingest path turn it off. */
  http?: boolean;
  /** Delays before re-pushing an entry whose killmail ESI would not serve (tests shorten them). */
  fetchRetryDelaysMs?: readonly number[];
  /** Delays before refetching an R2Z2 entry whose body was not JSON (tests shorten them). */
  refetchDelaysMs?: readonly number[];
  /** Store backlog that pauses the feed while writes fail (tests lower it). */
  pauseFeedAt?: number;
  /** Feed timing overrides (tests: a short R2Z2 idle wait, fast RedisQ polls); default: the live policy. */
  feedTuning?: Pick<CreateFeedDeps, 'r2z2' | 'redisq' | 'gapRepair'>;
  /** This process writes a file a server may be serving (`wkills backfill`): see StoreOptions.sideWriter. */
  sideWriter?: boolean;
}

export interface App {
  readonly config: Config;
  readonly counters: Counters;
  readonly logger: Logger;
  readonly store: Store;
  readonly pipeline: Pipeline;
  readonly fanout: Fanout;
  readonly sim: Simulator | undefined;
  /** The feed while this node reads one (in a cluster: only while it leads). */
  readonly feed: Feed | undefined;
  readonly results: ResultSink;
  /** Cluster mode (--nats-url): this node's role, lease and stream position. */
  readonly cluster: Cluster | undefined;
  /** Bound HTTP port after start() (0 when HTTP is off). */
  port(): number;
  status(): Record<string, Section>;
  /** Clear the latency histograms (benchmarks measuring one phase). */
  resetLatency(): void;
  start(): Promise<void>;
  stop(): Promise<void>;
}

const LIVE_WINDOW_MS = 5000;

export async function createApp(baseConfig: Config, opts: AppOptions = {}): Promise<App> {
  await initHistograms();
  const logger = opts.logger ?? createLogger(baseConfig.logLevel);
  const counters = opts.counters ?? new Counters(undefined, { histograms: baseConfig.metrics });
  const monitor = new ProcessMonitor();
  // Owned by the counters: the exposition, /status and the status report read them there.
  const ingestLatency = counters.histogram('wkills_ingest_to_stored_seconds');
  const broadcastLatency = counters.histogram('wkills_ingest_to_broadcast_seconds');

  // The embedded simulator serves the feed, ESI and the zKB API: with --source sim nothing
  // leaves the machine, so every outside URL points at it.
  let sim: Simulator | undefined;
  let config = baseConfig;
  if (baseConfig.source === 'sim') {
    sim = createSimulator(simOptionsFromConfig(baseConfig, opts.sim));
    const { url } = await sim.start();
    config = Object.freeze({ ...baseConfig, esiUrl: url, zkbUrl: url, r2z2Url: url });
  }

  let store: Store;
  try {
    store = openStore({
      path: config.db,
      retentionHours: config.retentionHours,
      logger,
      counters,
      lockWaitMs: config.dbLockWaitMs,
      tuning: { cacheKiB: Math.floor(config.dbCacheBytes / 1024), writerCacheKiB: Math.floor(config.dbWriterCacheBytes / 1024) },
      serving: true,
      sideWriter: opts.sideWriter === true,
      writerThread: config.dbWriterThread,
    });
  } catch (err) {
    await sim?.stop(); // a bad --db path must not leave the simulator listening
    throw err;
  }
  // A restarted --source sim numbers its feed after the stored cursor, where the reader resumes.
  const simCursor = Number(store.cursors.getCursor(R2Z2_CURSOR) ?? Number.NaN);
  if (sim !== undefined && Number.isSafeInteger(simCursor)) sim.resumeAfter(simCursor);
  // One ESI limit state for every worker: ESI's limits are per IP, not per thread.
  const pipeline = createPipeline({ config, logger, counters, esiLimits: createSharedLimits() });
  const bus = createBus({ logger, counters });
  const fanout = createFanout({
    config,
    logger,
    counters,
    reader: store.reader,
    bus,
    latency: broadcastLatency,
    storedOrder: store.storedOrder,
  });
  const sseLatency = counters.histogram('wkills_ingest_to_sse_seconds');
  const sse = createSseHub({ config, logger, counters, reader: store.reader, resume: store.resume, bus, latency: sseLatency });
  // Matched kills enter the webhook outbox inside the transaction that stores them.
  // In a cluster only the leader's own ingest enqueues (one delivery per cluster), and
  // subscriptions are shared through NATS (docs/DEPLOYMENT.md).
  let cluster: Cluster | undefined;
  const webhooks = createWebhooks({
    config,
    logger,
    counters,
    store: store.webhooks,
    onChange: (change) => cluster?.shareSubscription(change),
  });
  store.writer.setOutbox({
    plan: (records) => (cluster === undefined || cluster.ownsWebhookDeliveries() ? webhooks.plan(records) : undefined),
    committed: (plan, records, outcomes) => webhooks.committed(plan, records, outcomes),
  });

  // Names the workers resolved go into the shared SQLite cache on this thread (workers only read).
  const cacheWriter = createCacheWriter(store.connection);
  pipeline.onCacheWrites((writes) => {
    try {
      cacheWriter.apply(writes);
    } catch (err) {
      counters.inc('enrich.cache_write_errors');
      logger.warn({ err, rows: writes.length }, 'cache rows not saved; workers keep them in memory');
    }
  });

  let feed: FeedHandle | Feed | undefined;
  const results = createResultSink({
    writer: store.writer,
    cursors: store.cursors,
    pipeline,
    bus,
    counters,
    logger,
    feed: () => feed,
    latency: ingestLatency,
    enrich: config.enrich,
    cutoffSeconds: config.cutoffSeconds,
    retentionHours: config.retentionHours,
    onEnriched: (id: number, json: string, storedAtMs: number) => fanout.enriched(id, json, storedAtMs),
    ...(opts.fetchRetryDelaysMs !== undefined && { fetchRetryDelaysMs: opts.fetchRetryDelaysMs }),
    ...(opts.pauseFeedAt !== undefined && { pauseFeedAt: opts.pauseFeedAt }),
    ...(config.natsUrl !== '' && {
      replicate: (items, cursor) => cluster?.onCommitted(items, cursor),
      replicateNames: (id, json, enriched) => cluster?.onNamesCompleted(id, json, enriched),
    }),
    ...(opts.refetchDelaysMs !== undefined && { refetchDelaysMs: opts.refetchDelaysMs }),
  });
  pipeline.onResults((outcomes) => results.onOutcomes(outcomes));

  // The feed pushes through the result sink's gate: paused while the store holds a backlog.
  const feedSink = results.gate(pipeline);
  const makeFeed = (): FeedHandle | Feed | undefined => {
    if (opts.feed) return opts.feed(feedSink);
    // The R2Z2 cursor is persisted by the result sink, once per store batch and only after the
    // kills it covers are committed ('external'), not with one write per acknowledged entry.
    const r2z2 = { cursorMode: 'external' as const, ...opts.feedTuning?.r2z2 };
    const history = { progress: store.backfill, newestKillTimeMs: () => newestKillTimeMs(store) };
    return createFeed(config, {
      sink: feedSink,
      cursors: store.cursors,
      logger,
      counters,
      ...(sim && { simUrl: sim.url }),
      ...opts.feedTuning,
      r2z2,
      history,
    });
  };
  // In a cluster only the leader reads the feed: it is created when this node takes the lease.
  if (config.natsUrl === '') feed = makeFeed();
  else {
    try {
      cluster = await startClusterModule(config, {
        store,
        bus,
        logger,
        makeFeed,
        setFeed: (f) => (feed = f),
        getFeed: () => feed,
        applySubscription: (c) => webhooks.applyRemote(c),
        // The leader's late names reach an edge's clients as `killmail_enriched`, from the edge's own store time.
        onNamesApplied: (id, json) => {
          const storedAtMs = store.storedOrder.storedAt(id);
          if (storedAtMs !== undefined) fanout.enriched(id, json, storedAtMs);
        },
      });
    } catch (err) {
      await pipeline.stop();
      await sim?.stop();
      await store.stop();
      throw err;
    }
  }

  const killFetcher = createKillFetcher({ config, pipeline, counters, logger });
  // Only the leader talks to zKillboard and ESI: an edge answers unknown ids with a 404.
  const fetchKill: KillFetcher = cluster?.role === 'edge' ? () => Promise.resolve(undefined) : killFetcher.fetch;
  const health: Record<string, HealthCheck> = {
    database: () => store.health(),
    pipeline: () => pipeline.health(),
    event_loop: () => {
      const lag = monitor.snapshot().event_loop_lag_p99_ms;
      return { healthy: lag < 1000, message: `event loop lag p99 ${lag} ms` };
    },
  };
  if (feed && 'health' in feed) {
    health.feed = () => (feed && 'health' in feed ? feed.health() : { healthy: true, message: 'not the leader' });
  }
  const clusterHealth = cluster;
  if (clusterHealth) health.cluster = () => clusterHealth.health();
  let http: HttpServer | undefined;
  if (opts.http !== false) {
    http = createHttpServer({ config, logger, counters, reader: store.reader, fetchKill, health, wsStats: () => fanout.stats() });
    // A cluster's ingest nodes hold no client sockets: clients go to edges (docs/DEPLOYMENT.md).
    if (cluster?.role !== 'ingest') {
      fanout.attach(http.app);
      for (const r of sseRoutes(sse)) http.route(r);
    }
    const subscriptionDeps = {
      webhooks,
      wsSubscriptions: () => fanout.subscriptions(),
      sseConnections: () => sse.stats().connections ?? 0,
      apiToken: config.apiToken,
    };
    for (const r of subscriptionRoutes(subscriptionDeps)) http.route(r);
  }

  const status = (): Record<string, Section> => ({
    feed: { ...(feed?.stats() ?? {}), source: config.source },
    ...(cluster && { cluster: cluster.stats() }),
    pipeline: { ...pipeline.stats() },
    enrich: enrichSummary(pipeline.enricherStats(), counters),
    latency: latencySection(counters, pipeline.enricherStats()),
    ...(lastWindow && { window: lastWindow }),
    ingest: {
      state: results.state(),
      ...results.stats(),
      ingest_to_stored_us: ingestLatency.summary(),
      ingest_to_broadcast_us: broadcastLatency.summary(),
    },
    storage: { ...store.stats(), side_writes: store.sideWriteStats() },
    websocket: { ...fanout.stats() },
    sse: { ...sse.stats(), ingest_to_sse_us: sseLatency.summary() },
    webhooks: { ...webhooks.stats() },
    ...(http && { api: { ...http.httpStats() } }),
    upstream: killFetcher.stats(),
    process: { ...monitor.snapshot() },
  });

  const clusterNode = cluster;
  const clusterStats = clusterNode && ((): Record<string, unknown> => clusterNode.stats());
  const exposition = new Exposition({
    counters,
    defaultMetrics: config.metrics,
    workerSnapshots: () => pipeline.enricherStats(),
    gauges: gaugeReadings({
      source: config.source,
      feed: () => feed,
      pipeline,
      store,
      fanout,
      health,
      sseConnections: () => sse.stats().connections ?? 0,
      ...(clusterStats && { cluster: clusterStats }),
      threads: new ThreadCpu(),
    }),
  });

  if (http) {
    const api = http;
    for (const r of statusRoutes({ sections: status, requestsTotal: () => api.httpStats().requests, exposition })) http.route(r);
    http.route(dashboardRoute());
  }

  let reporter: { stop(): void } | undefined;
  let window: StatusWindow | undefined;
  // The dashboard's figures: a short window, closed every LIVE_WINDOW_MS, read by /status.
  let live: StatusWindow | undefined;
  let liveTimer: NodeJS.Timeout | undefined;
  let lastWindow: Section | undefined;
  let feedStarted = false;
  let stopping: Promise<void> | undefined;

  async function stop(): Promise<void> {
    reporter?.stop();
    if (cluster)
      await cluster.stop(); // stops the feed when leading, after publishing what is committed
    else if (feedStarted) await feed?.stop();
    await pipeline.stop();
    await results.stop();
    fanout.stop();
    sse.stop();
    await webhooks.stop();
    http?.stop();
    await killFetcher.close();
    await sim?.stop();
    await store.stop();
    monitor.stop();
    window?.destroy();
    clearInterval(liveTimer);
    live?.destroy();
    logger.info('wanderer-kills stopped');
  }

  return {
    config,
    counters,
    logger,
    store,
    pipeline,
    fanout,
    sim,
    get feed() {
      return feed;
    },
    results,
    cluster,
    port: () => http?.port() ?? 0,
    status,
    resetLatency() {
      ingestLatency.reset();
      broadcastLatency.reset();
      sseLatency.reset();
    },
    async start() {
      try {
        monitor.start();
        store.start();
        await pipeline.start();
        fanout.start();
        sse.start();
        webhooks.start();
        if (http) await http.start();
        if (cluster) await cluster.start();
        else await feed?.start();
        feedStarted = true;
      } catch (err) {
        // A port in use or workers that fail to load: release what did start, then report it.
        await (stopping ??= stop()).catch((stopErr: unknown) => logger.error({ err: stopErr }, 'cleanup after a failed start failed'));
        throw err;
      }
      if (http && config.metrics) {
        const w = (live = new StatusWindow(counters, exposition, monitor));
        liveTimer = setInterval(() => (lastWindow = w.take()), LIVE_WINDOW_MS).unref();
      }
      if (config.statusIntervalSeconds > 0) {
        window = new StatusWindow(counters, exposition, monitor);
        reporter = startStatusReporter({
          intervalMs: config.statusIntervalSeconds * 1000,
          logger,
          window,
          onReport: () => monitor.resetLag(),
        });
      }
      if (http && config.apiToken === '' && !['127.0.0.1', '::1', 'localhost'].includes(config.host)) {
        logger.warn(
          { host: config.host },
          'webhook subscriptions can be created and deleted without a token on a non-loopback address: set --api-token (WK_API_TOKEN)',
        );
      }
      logger.info(
        { port: http?.port(), source: config.source, db: store.path, workers: config.workers, sim: sim?.url },
        'wanderer-kills started',
      );
    },
    stop: () => (stopping ??= stop()),
  };
}

/** Kill time of the newest stored kill, where an R2Z2 gap repair starts (feeds/gap-repair.ts). */
function newestKillTimeMs(store: Store): number | undefined {
  const json = store.reader.recentKills(0, 1)[0];
  const m = json === undefined ? null : /"kill_time":"([^"]+)"/.exec(json);
  const t = m ? Date.parse(m[1] ?? '') : NaN;
  return Number.isNaN(t) ? undefined : t;
}

/** Cache hit rate and ESI activity over the workers' latest snapshots (docs/API.md#routes). */
function enrichSummary(perWorker: readonly Record<string, number>[], counters: Counters): Section {
  const sum: Record<string, number> = {};
  for (const w of perWorker) {
    for (const [k, v] of Object.entries(w)) {
      if (!k.startsWith('~h|')) sum[k] = (sum[k] ?? 0) + v; // histogram fields: latencySection
    }
  }
  const hits = sum['enrich.cache.hit'] ?? 0;
  const total = hits + (sum['enrich.cache.miss'] ?? 0);
  return {
    cache_hit_rate: total === 0 ? null : Math.round((hits / total) * 10_000) / 10_000,
    late_completed: counters.get('enrich.late_completed'),
    ...sum,
  };
}

/** Every declared histogram with samples, in seconds: HDR percentiles (the workers' ESI ones merged as an upper bound). */
function latencySection(counters: Counters, workerSnapshots: readonly Record<string, number>[]): Section {
  const out: Record<string, Record<string, number>> = {};
  for (const family of counters.registry.families.values()) {
    if (family.type !== 'histogram') continue;
    for (const s of counters.histogramsOfFamily(family.name)) {
      const summary = s.item.summary();
      if (summary.count > 0) out[[family.name, ...s.labels].join(' ')] = secondsSummary({ summary, sumUs: s.item.sumUs });
    }
  }
  for (const h of mergeWorkerHistograms(workerSnapshots)) out[[h.family, ...h.labelValues].join(' ')] = secondsSummary(h);
  return out;
}

interface ClusterWiring {
  store: Store;
  bus: ReturnType<typeof createBus>;
  logger: Logger;
  makeFeed(): FeedHandle | Feed | undefined;
  setFeed(feed: FeedHandle | Feed | undefined): void;
  getFeed(): FeedHandle | Feed | undefined;
  applySubscription(change: SubscriptionChange): void;
  onNamesApplied(killmailId: number, json: string): void;
}

/** Loaded only with --nats-url: the NATS client stays out of single-process mode entirely. */
async function startClusterModule(config: Config, w: ClusterWiring): Promise<Cluster> {
  const { createCluster, defaultNodeId } = await import('./cluster/index.js');
  return createCluster({
    options: {
      natsUrl: config.natsUrl,
      role: config.role as 'all' | 'ingest' | 'edge',
      nodeId: config.nodeId || defaultNodeId(config.port),
      stream: config.clusterStream,
      leaseMs: config.clusterLeaseMs,
      maxLag: config.clusterMaxLag,
      maxAgeMs: config.retentionHours * 3_600_000,
      maxBytes: config.clusterStreamMaxBytes,
      replicas: config.clusterReplicas,
    },
    logger: w.logger,
    store: w.store.writer,
    cursors: w.store.cursors,
    bus: w.bus,
    async startIngest() {
      const feed = w.makeFeed();
      w.setFeed(feed);
      await feed?.start();
    },
    async stopIngest() {
      const feed = w.getFeed();
      w.setFeed(undefined);
      await feed?.stop();
    },
    applySubscription: (change) => w.applySubscription(change),
    onNamesApplied: (id, json) => w.onNamesApplied(id, json),
  });
}
// The maintenance commands (`wkills db`, `wkills sde import`) reach the store and the SDE import
// through the composition root, like every other use of a stage outside its folder.
export { openStore, servingPid } from './store/index.js';
export { deadLetters, type DeadLetterRow, type DeadLetters } from './store/index.js';
export { importSde } from './enrich/index.js';
