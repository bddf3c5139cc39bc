// The NATS side of the cluster: one connection per node, the KILLS stream and the two KV buckets.
// Everything here is created idempotently at start, so any node may be the first one up.
import { hostname } from 'node:os';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager, type JetStreamClient, type StreamConfig } from '@nats-io/jetstream';
import { Kvm, type KV } from '@nats-io/kv';

const NS_PER_MS = 1_000_000;
/**
 * How long JetStream remembers message ids: a new leader re-ingests from the last published
 * cursor, at most a few seconds of feed behind the old leader, so its repeats fall well inside
 * this; a repeat after it is still dropped by every edge's store (killmail_id is its key).
 */
const DUPLICATE_WINDOW_MS = 10 * 60_000;

export interface ClusterNatsOptions {
  servers: string;
  nodeId: string;
  stream: string;
  subjectPrefix: string;
  /** Stream age limit: the retention window (0 keeps everything). */
  maxAgeMs: number;
  maxBytes: number;
  leaseMs: number;
  /** JetStream replicas (1, or 3/5 on a NATS cluster so one server can die). */
  replicas: number;
}

export interface ClusterNats {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  /** The leader lease: its one key expires `leaseMs` after the last renewal. */
  readonly lease: KV;
  /** Cluster state without expiry: the feed cursor the leader has published up to. */
  readonly state: KV;
  /** Webhook subscriptions, shared by every node. */
  readonly webhooks: KV;
  connected(): boolean;
  streamLastSeq(): Promise<number>;
  close(): Promise<void>;
}

export function defaultNodeId(port: number): string {
  return `${hostname()}:${port}:${process.pid}`;
}

export async function openClusterNats(o: ClusterNatsOptions, onStatus: (event: string, data: string) => void): Promise<ClusterNats> {
  const nc = await connect({
    servers: o.servers
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
    name: `wanderer-kills ${o.nodeId}`,
    maxReconnectAttempts: -1, // a NATS restart is routine: keep trying, /health reports it meanwhile
    reconnectTimeWait: 500,
  });
  let isConnected = true;
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'disconnect') isConnected = false;
      else if (s.type === 'reconnect') isConnected = true;
      onStatus(s.type, 'server' in s ? s.server : '');
    }
  })();

  const jsm = await jetstreamManager(nc);
  const config: Partial<StreamConfig> & { name: string } = {
    name: o.stream,
    subjects: [`${o.subjectPrefix}.>`],
    max_age: o.maxAgeMs * NS_PER_MS,
    max_bytes: o.maxBytes,
    num_replicas: o.replicas,
    duplicate_window: (o.maxAgeMs > 0 ? Math.min(DUPLICATE_WINDOW_MS, o.maxAgeMs) : DUPLICATE_WINDOW_MS) * NS_PER_MS,
  };
  try {
    await jsm.streams.info(o.stream);
    await jsm.streams.update(o.stream, config);
  } catch (err) {
    if (!isNotFound(err)) throw err;
    await jsm.streams.add(config);
  }
  const kvm = new Kvm(nc);
  const lease = await kvm.create(`${o.stream}_lease`, { ttl: o.leaseMs, history: 1, replicas: o.replicas });
  const state = await kvm.create(`${o.stream}_state`, { history: 1, replicas: o.replicas });
  const webhooks = await kvm.create(`${o.stream}_webhooks`, { history: 1, replicas: o.replicas });
  const js = jetstream(nc);

  return {
    nc,
    js,
    lease,
    state,
    webhooks,
    connected: () => isConnected && !nc.isClosed(),
    async streamLastSeq() {
      const info = await jsm.streams.info(o.stream);
      return info.state.last_seq;
    },
    async close() {
      if (!nc.isClosed()) await nc.drain().catch(() => nc.close());
    },
  };
}

function isNotFound(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown; api_error?: { err_code?: number } };
  return e.api_error?.err_code === 10059 || (typeof e.message === 'string' && e.message.includes('not found'));
}
