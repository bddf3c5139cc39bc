export { createLogger, silentLogger, type Logger } from './logger.js';
export { Counters } from './counters.js';
export { LatencyHistogram, initHistograms, type LatencySummary } from './histogram.js';
