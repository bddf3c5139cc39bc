// Pipeline stage: rings and the worker pool (counted on the main thread).
import { counter, gauge, histogram, type StageDecls } from '../registry.js';

export const pipelineMetrics = {
  wkills_pipeline_entries_received_total: counter(
    'Entries pushed into the pipeline (the ingest rings, or a direct task when too large for them)',
    'entries',
    ['pipeline.received'],
  ),
  wkills_pipeline_direct_entries_total: counter('Entries too large for the rings, each run by a worker as a task of its own', 'entries', [
    'pipeline.direct',
  ]),
  wkills_pipeline_parsed_total: counter('Entries the workers parsed into a kill', 'entries', ['pipeline.parsed']),
  wkills_pipeline_enriched_total: counter('Kills the workers enriched', 'kills', ['pipeline.enriched']),
  wkills_pipeline_older_total: counter('Kills older than the cutoff', 'kills', ['pipeline.older']),
  wkills_pipeline_failed_total: counter('Entries that failed in the workers', 'entries', ['pipeline.failed']),
  wkills_pipeline_failures_total: counter(
    'Entries that failed in the workers, by reason',
    'entries',
    ['pipeline.failed.{reason}'],
    ['reason'],
  ),
  wkills_pipeline_enrich_errors_total: counter('Enrichment errors reported by the workers', 'errors', ['pipeline.enrich_errors']),
  wkills_pipeline_retried_total: counter('Entries retried after a worker crash', 'entries', ['pipeline.retried']),
  wkills_pipeline_dead_lettered_total: counter('Entries dead-lettered after repeated worker crashes', 'entries', [
    'pipeline.dead_lettered',
  ]),
  wkills_pipeline_duplicates_discarded_total: counter('Duplicate results discarded after a lane recovery', 'results', [
    'pipeline.duplicates_discarded',
  ]),
  wkills_pipeline_worker_crashes_total: counter('Worker tasks that failed (lane recovered)', 'crashes', ['pipeline.worker_crashes']),
  wkills_pipeline_pool_errors_total: counter('Worker pool errors', 'errors', ['pipeline.pool_errors']),
  wkills_pipeline_listener_errors_total: counter('Outcome listeners that threw', 'errors', ['pipeline.listener_errors']),
  wkills_pipeline_cache_writes_unclaimed_total: counter('Name cache rows no listener took', 'rows', ['pipeline.cache_writes_unclaimed']),
  wkills_pipeline_queue_entries: gauge('Entries in the ingest rings or in the workers', 'entries'),
  wkills_pipeline_queue_bytes: gauge('Bytes used in the ingest rings', 'bytes'),
  wkills_pipeline_result_queue_bytes: gauge('Bytes used in the result rings', 'bytes'),
  wkills_pipeline_worker_threads: gauge('Worker threads in the pool', 'threads'),
  wkills_pipeline_worker_utilisation_ratio: gauge('Share of worker time spent processing entries since start, 0..1', 'ratio'),
  wkills_worker_task_seconds: histogram('Busy time of one worker drain task (the entries it processed in one go)'),
} as const satisfies StageDecls;
