export { createLogger, silentLogger, type Logger } from './logger.js';
export { Counters } from './counters.js';
export { LatencyHistogram, initHistograms, type LatencySummary } from './histogram.js';
export { ProcessMonitor, startStatusReporter, humanSummary, type Section, type SnapshotFn, type ProcessSection } from './status-report.js';
