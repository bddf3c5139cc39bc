export { createLogger, createStderrLogger, silentLogger, type Logger } from './logger.js';
export { Counters, type Cell, type Series } from './counters.js';
export { METRICS, STAGE_METRICS, type MetricKey, type MetricName } from './metrics/index.js';
export { MetricRegistry, type Family, type FamilyDecl, type StageDecls } from './registry.js';
export { LatencyHistogram, initHistograms, type LatencySummary } from './histogram.js';
export { ProcessMonitor, startStatusReporter, type Section, type SnapshotFn, type ProcessSection } from './status-report.js';
export { StatusWindow, windowSummary, type WindowFigures, type Percentiles } from './status-window.js';
export {
  Exposition,
  secondsSummary,
  type Collected,
  type CollectedFamily,
  type ExpositionSources,
  type GaugeReadings,
  type SeriesValue,
} from './exposition.js';
export { histogramFields, mergeWorkerHistograms, type HistogramData } from './worker-histograms.js';
export { ThreadCpu, THREAD_ROLES, threadRole, type ThreadRole, type ThreadCpuTotals } from './thread-cpu.js';
