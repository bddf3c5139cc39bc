// Every stage's metric declarations, in one registry. A stage adds its names to its own file;
// the types below make `counters.inc('undeclared.name')` a type error and the registry refuses a
// family declared twice when the module loads.
import { MetricRegistry, type DeclaredFamily, type DeclaredKey } from '../registry.js';
import { feedMetrics } from './feeds.js';
import { pipelineMetrics } from './pipeline.js';
import { enrichMetrics } from './enrich.js';
import { ingestMetrics } from './ingest.js';
import { storeMetrics } from './store.js';
import { fanoutMetrics } from './fanout.js';
import { httpMetrics } from './http.js';
import { pushMetrics } from './push.js';
import { processMetrics } from './process.js';
import { clusterMetrics } from './cluster.js';

export const STAGE_METRICS = {
  feeds: feedMetrics,
  pipeline: pipelineMetrics,
  enrich: enrichMetrics,
  ingest: ingestMetrics,
  store: storeMetrics,
  fanout: fanoutMetrics,
  http: httpMetrics,
  push: pushMetrics,
  process: processMetrics,
  cluster: clusterMetrics,
} as const;

/** A dotted name `counters.inc/set/get` accepts. */
export type MetricKey = DeclaredKey<typeof STAGE_METRICS>;
/** A declared Prometheus family name. */
export type MetricName = DeclaredFamily<typeof STAGE_METRICS>;

export const METRICS = new MetricRegistry(STAGE_METRICS);
