// Scale-out over NATS JetStream (docs/ARCHITECTURE.md, "Cluster mode"). One node at a time leads:
// it reads the feed and publishes each committed change to the KILLS stream; every node applies
// the stream to its own SQLite window and serves clients from it. Loaded only when a NATS URL is
// configured (app.ts imports this module dynamically), so single-process mode pays nothing.
import type { ComponentHealth, CursorStore, CursorValue, KillBus, SubscriptionChange } from '../core/ports.js';
import type { Logger } from '../telemetry/index.js';
import { openClusterNats, type ClusterNats } from './nats.js';
import { createLeaderLease, type LeaderLease } from './lease.js';
import { createKillPublisher, publishedCursors, type KillPublisher } from './publisher.js';
import { createReplicaSink, type ReplicaSink, type ReplicaStore } from './replica.js';
import { createEdgeConsumer, type EdgeConsumer } from './edge.js';
import { createSubscriptionSync } from './subscriptions.js';
import { namesChange, type ReplicatedKill } from './codec.js';

export type ClusterRole = 'all' | 'ingest' | 'edge';
export type { ReplicaStore } from './replica.js';

/** How often an edge compares its position with the stream's tip (lag in /status and /health). */
const TIP_POLL_MS = 1_000;

export interface ClusterOptions {
  natsUrl: string;
  role: ClusterRole;
  nodeId: string;
  stream: string;
  leaseMs: number;
  /** Stream messages an edge may be behind the tip and still call itself healthy. */
  maxLag: number;
  maxAgeMs: number;
  maxBytes: number;
  replicas: number;
}

export interface ClusterDeps {
  options: ClusterOptions;
  logger: Logger;
  /** This node's store writer (edges apply the stream through it). */
  store: ReplicaStore;
  /** This node's cursors: a new leader's feed starts from the cursor the cluster published up to. */
  cursors: CursorStore;
  bus: KillBus;
  /** Start reading the feed (this node became the leader) / stop it (lost or released the lease). */
  startIngest(): Promise<void>;
  stopIngest(): Promise<void>;
  /** A webhook subscription changed on another node. */
  applySubscription(change: SubscriptionChange): void;
  /** Names completed by the leader reached this node's copy of a kill. */
  onNamesApplied?: (killmailId: number, json: string) => void;
}

export interface Cluster {
  readonly role: ClusterRole;
  start(): Promise<void>;
  stop(): Promise<void>;
  isLeader(): boolean;
  /**
   * Whether kills stored now should enter this node's webhook outbox: only the leader's own
   * ingest, never a batch applied from the stream, so a kill is delivered once per cluster.
   */
  ownsWebhookDeliveries(): boolean;
  /** A local webhook subscription change, shared with every node. */
  shareSubscription(change: SubscriptionChange): void;
  /** Leader: a committed ingest batch (stored or already-stored kills, replacements) and its cursor. */
  onCommitted(items: ReplicatedKill[], cursor?: CursorValue): void;
  /** Leader: names completed later for a stored kill. */
  onNamesCompleted(killmailId: number, json: string, enriched: boolean): void;
  /** Resolves once everything committed so far is in the stream (tests, graceful stop). */
  drain(timeoutMs: number): Promise<boolean>;
  health(): ComponentHealth;
  stats(): Record<string, unknown>;
}

export { type ReplicatedKill } from './codec.js';
export { defaultNodeId } from './nats.js';

export async function createCluster(deps: ClusterDeps): Promise<Cluster> {
  const { options: o, logger } = deps;
  const log = logger.child({ component: 'cluster', node: o.nodeId, role: o.role });
  const onError = (err: unknown, what = 'cluster error'): void => log.warn({ err }, what);
  const nats: ClusterNats = await openClusterNats(
    {
      servers: o.natsUrl,
      nodeId: o.nodeId,
      stream: o.stream,
      subjectPrefix: 'kills',
      maxAgeMs: o.maxAgeMs,
      maxBytes: o.maxBytes,
      leaseMs: o.leaseMs,
      replicas: o.replicas,
    },
    (event, server) => {
      log.info({ event, server }, 'nats connection');
      // The server may have lost our ephemeral consumer: recreate it from the applied position now.
      if (event === 'reconnect') edge.restart();
    },
  );
  const replica: ReplicaSink = createReplicaSink(deps.store, deps.bus, `cluster.${o.stream}.seq`, deps.onNamesApplied);
  const edge: EdgeConsumer = createEdgeConsumer(nats.js, o.stream, replica, onError);
  const subscriptions = createSubscriptionSync(nats.webhooks, o.nodeId, onError);
  let publisher: KillPublisher | undefined;
  let lease: LeaderLease | undefined;
  let tip = 0;
  let tipTimer: NodeJS.Timeout | undefined;
  let lagSinceMs = 0;

  if (o.role !== 'edge') {
    lease = createLeaderLease(
      nats.lease,
      o.nodeId,
      o.leaseMs,
      {
        async onAcquired() {
          // Resume where the cluster's published cursor stands, not where this node's file does:
          // another node may have led meanwhile, and what this node committed but never published
          // must be read again.
          for (const [name, value] of await publishedCursors(nats.state)) deps.cursors.setCursor(name, value);
          publisher = createKillPublisher(nats.js, nats.state, 'kills', onError);
          log.info('leader: ingesting');
          await deps.startIngest();
        },
        async onLost(reason) {
          log.warn({ reason }, 'no longer the leader: ingest stopped');
          await deps.stopIngest();
          publisher?.stop();
          publisher = undefined;
        },
      },
      onError,
    );
  }

  async function pollTip(): Promise<void> {
    try {
      tip = await nats.streamLastSeq();
    } catch (err) {
      onError(err, 'stream tip unavailable');
      return;
    }
    if (tip < replica.appliedSeq()) {
      // The stream was deleted and recreated: its sequence numbers start again.
      log.warn({ tip, applied: replica.appliedSeq() }, 'stream behind this edge: re-reading it from its start');
      replica.reset();
      edge.restart();
    }
    const lag = tip - replica.appliedSeq();
    if (lag <= o.maxLag) lagSinceMs = 0;
    else if (lagSinceMs === 0) lagSinceMs = Date.now();
  }

  return {
    role: o.role,
    async start() {
      await subscriptions.start((change) => deps.applySubscription(change));
      await pollTip();
      edge.start();
      lease?.start();
      const poll = (): void => {
        tipTimer = setTimeout(() => void pollTip().finally(poll), TIP_POLL_MS);
        tipTimer.unref();
      };
      poll();
    },
    async stop() {
      clearTimeout(tipTimer);
      subscriptions.stop();
      await lease?.stop();
      await publisher?.drain(2_000);
      publisher?.stop();
      await edge.stop();
      await nats.close();
    },
    isLeader: () => lease?.isLeader() ?? false,
    ownsWebhookDeliveries: () => (lease?.isLeader() ?? false) && !replica.applying(),
    shareSubscription: (change) => subscriptions.share(change),
    onCommitted(items, cursor) {
      publisher?.enqueue({ items, cursor });
    },
    onNamesCompleted(killmailId, json, enriched) {
      publisher?.enqueue({ items: [namesChange(killmailId, json, enriched)] });
    },
    drain: (timeoutMs) => publisher?.drain(timeoutMs) ?? Promise.resolve(true),
    health() {
      if (!nats.connected()) return { healthy: false, message: 'NATS disconnected' };
      const lag = Math.max(0, tip - replica.appliedSeq());
      // Behind for a moment is normal (a burst); behind for seconds means clients miss kills.
      if (lagSinceMs > 0 && Date.now() - lagSinceMs > 5_000) return { healthy: false, message: `stream lag ${lag} messages` };
      return { healthy: true, message: `${o.role}${lease?.isLeader() ? ' (leader)' : ''}, stream lag ${lag}` };
    },
    stats: () => ({
      role: o.role,
      node_id: o.nodeId,
      nats_connected: nats.connected(),
      ...(lease ? lease.stats() : { leader: false, leader_id: null }),
      stream_tip: tip,
      stream_lag: Math.max(0, tip - replica.appliedSeq()),
      ...replica.stats(),
      ...edge.stats(),
      ...(publisher ? publisher.stats() : { published: 0, duplicates: 0, publish_errors: 0, backlog_batches: 0, backlog_kills: 0 }),
    }),
  };
}
