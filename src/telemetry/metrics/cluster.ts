// Cluster mode (src/cluster, only with --nats-url): read from the cluster module's stats at
// scrape time, so a load balancer's or Prometheus's view of a node matches its /status section.
// Every family carries the node's role: a single process (no cluster) exports no series at all
// rather than zeros an alert could read as "NATS down".
import { counter, gauge, type StageDecls } from '../registry.js';

export const clusterMetrics = {
  wkills_cluster_node_info: gauge('1 for this node, labelled with its role and id', 'boolean', [], ['role', 'node_id']),
  wkills_cluster_leader: gauge('1 while this node holds the ingest lease', 'boolean', [], ['role']),
  wkills_cluster_nats_connected: gauge('1 while the NATS connection is up', 'boolean', [], ['role']),
  wkills_cluster_stream_lag_messages: gauge('Stream messages not yet applied by this node (tip minus applied)', 'messages', [], ['role']),
  wkills_cluster_applied_sequence: gauge('Last stream sequence applied to the local store', 'sequence', [], ['role']),
  wkills_cluster_published_total: counter('Kill changes this node published to the stream as leader', 'messages', [], ['role']),
  wkills_cluster_publish_errors_total: counter('Failed publishes to the stream (retried)', 'errors', [], ['role']),
  wkills_cluster_consumed_total: counter('Stream messages this node consumed', 'messages', [], ['role']),
  wkills_cluster_bad_messages_total: counter('Stream messages that could not be decoded (skipped, counted)', 'messages', [], ['role']),
  wkills_cluster_consumer_restarts_total: counter('Times the stream consumer was recreated', 'restarts', [], ['role']),
} as const satisfies StageDecls;
