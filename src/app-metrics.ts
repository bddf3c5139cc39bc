// The gauges app.ts reads from the running stages at each scrape or report (the counters and
// histograms the stages record themselves). Part of the composition root: it sees every stage's
// stats() so the stages need not see each other.
import type { Feed, HealthCheck } from './core/ports.js';
import type { Pipeline } from './pipeline/index.js';
import type { Store } from './store/index.js';
import type { Fanout } from './fanout/index.js';
import { THREAD_ROLES, type GaugeReadings, type ThreadCpu } from './telemetry/index.js';

export interface GaugeSources {
  source: string;
  feed: () => Feed | undefined;
  pipeline: Pipeline;
  store: Store;
  fanout: Fanout;
  health: Record<string, HealthCheck>;
  /** Open SSE streams. */
  sseConnections?: () => number;
  /** Cluster mode: the cluster module's stats (its /status section). */
  cluster?: () => Record<string, unknown>;
  /** CPU and run-queue time by thread role (Linux). */
  threads?: ThreadCpu;
}

export function gaugeReadings(s: GaugeSources): () => GaugeReadings {
  return () => {
    const p = s.pipeline.stats();
    const st = s.store.stats();
    const ws = s.fanout.stats();
    const subs = s.fanout.subscriptionStats();
    const feed = s.feed()?.stats() ?? {};
    const age = feed.lastEntryAgeMs;
    const threads = s.threads?.read();
    const healthy: [string[], number][] = [];
    for (const [name, check] of Object.entries(s.health)) {
      let ok = false;
      try {
        ok = check().healthy;
      } catch {
        ok = false;
      }
      healthy.push([[name], ok ? 1 : 0]);
    }
    return {
      wkills_up: 1,
      wkills_healthy: healthy,
      ...(typeof age === 'number' && { wkills_feed_last_entry_age_seconds: [[[s.source], age / 1000]] }),
      ...(s.health.feed && { wkills_feed_up: [[[s.source], healthy.find(([n]) => n[0] === 'feed')?.[1] ?? 0]] }),
      wkills_pipeline_queue_entries: p.queueDepthEntries,
      wkills_pipeline_queue_bytes: p.queueDepthBytes,
      wkills_pipeline_result_queue_bytes: p.resultDepthBytes,
      wkills_pipeline_worker_threads: p.threads,
      wkills_pipeline_worker_utilisation_ratio: p.workerUtilisation,
      wkills_store_killmails: st.killmails,
      wkills_store_systems: st.systems,
      wkills_store_db_bytes: st.dbBytes,
      wkills_store_wal_bytes: st.walBytes,
      wkills_ws_connections: ws.activeConnections,
      wkills_ws_subscriptions: [
        [['lobby'], subs.websocket_subscriptions - subs.firehose_subscriptions],
        [['firehose'], subs.firehose_subscriptions],
      ],
      wkills_ws_subscribed_systems: ws.subscribedSystems,
      wkills_ws_subscribed_characters: ws.subscribedCharacters,
      ...(s.sseConnections && { wkills_sse_connections: s.sseConnections() }),
      ...(s.cluster && clusterReadings(s.cluster())),
      ...(threads && {
        wkills_thread_cpu_seconds_total: THREAD_ROLES.map((r) => [[r], threads.cpuSeconds[r]] as const),
        wkills_thread_runqueue_wait_seconds_total: THREAD_ROLES.map((r) => [[r], threads.waitSeconds[r]] as const),
      }),
    };
  };
}

function clusterReadings(c: Record<string, unknown>): GaugeReadings {
  const role = [String(c.role)];
  const n = (k: string): readonly (readonly [readonly string[], number])[] => [[role, typeof c[k] === 'number' ? c[k] : 0]];
  const flag = (k: string): readonly (readonly [readonly string[], number])[] => [[role, c[k] === true ? 1 : 0]];
  return {
    wkills_cluster_node_info: [[[String(c.role), String(c.node_id)], 1]],
    wkills_cluster_leader: flag('leader'),
    wkills_cluster_nats_connected: flag('nats_connected'),
    wkills_cluster_stream_lag_messages: n('stream_lag'),
    wkills_cluster_applied_sequence: n('applied_seq'),
    wkills_cluster_published_total: n('published'),
    wkills_cluster_publish_errors_total: n('publish_errors'),
    wkills_cluster_consumed_total: n('consumed'),
    wkills_cluster_bad_messages_total: n('bad_messages'),
    wkills_cluster_consumer_restarts_total: n('restarts'),
  };
}
