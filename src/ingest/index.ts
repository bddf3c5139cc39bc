// ingest/: pipeline outcomes → store → bus. Batching, store back-pressure and the feed pause,
// retries of entries ESI would not serve, cursor persistence once per committed batch, late name
// completion (see results.ts and its state machine in sink-state.ts), and the zKB fetch of one
// kill the store does not hold. What app.ts wires.
export { createResultSink, type ResultSink, type ResultSinkDeps } from './results.js';
export type { SinkState } from './sink-state.js';
export { createKillFetcher } from './kill-fetcher.js';
