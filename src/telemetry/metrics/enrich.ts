// Enrichment (counted inside the worker threads; the main thread sums the workers' snapshots).
import { counter, gauge, histogram, type StageDecls } from '../registry.js';

export const enrichMetrics = {
  wkills_enrich_kills_total: counter('Kills given to the enricher', 'kills', ['enrich.kills']),
  wkills_enrich_complete_total: counter('Kills whose names all resolved in time', 'kills', ['enrich.complete']),
  wkills_enrich_transcoded_total: counter(
    'Complete kills written bytes to bytes from warm caches (the others took the general path)',
    'kills',
    ['enrich.transcoded'],
  ),
  wkills_enrich_partial_total: counter('Kills stored with some ids unresolved (completed later)', 'kills', ['enrich.partial']),
  wkills_enrich_lookup_errors_total: counter('Name lookups that threw', 'errors', ['enrich.lookup_error']),
  wkills_enrich_lookup_failures_total: counter(
    'Name lookups that failed, by namespace',
    'lookups',
    ['enrich.lookup_failed.{namespace}'],
    ['namespace'],
  ),
  wkills_enrich_names_events_total: counter(
    'Bulk name resolution: absent ids, bisections, failures, unresolvable, internal errors',
    'events',
    ['enrich.names.{event}'],
    ['event'],
  ),
  wkills_enrich_killmail_cache_hits_total: counter('Killmail bodies served from the HTTP cache', 'requests', ['enrich.killmail.cache_hit']),
  wkills_enrich_killmail_failures_total: counter(
    'Killmail body fetches that failed, by reason',
    'requests',
    ['enrich.killmail.failed.{reason}'],
    ['reason'],
  ),
  wkills_enrich_cache_lookups_total: counter(
    'Name cache lookups, by namespace and result (hit, miss)',
    'lookups',
    ['enrich.cache.{result}.{namespace}'],
    ['result', 'namespace'],
  ),
  wkills_enrich_cache_hits_total: counter('Name cache hits, all namespaces', 'lookups', ['enrich.cache.hit']),
  wkills_enrich_cache_misses_total: counter('Name cache misses, all namespaces', 'lookups', ['enrich.cache.miss']),
  wkills_enrich_cache_db_hits_total: counter('Names found in the shared SQLite cache after an LRU miss', 'lookups', [
    'enrich.cache.db_hit',
  ]),
  wkills_enrich_cache_db_unavailable_total: counter('Lookups while the shared cache database was unavailable', 'lookups', [
    'enrich.cache.db_unavailable',
  ]),
  wkills_enrich_cache_pending_dropped_total: counter('Cache rows dropped because the pending list was full', 'rows', [
    'enrich.cache.pending_dropped',
  ]),
  wkills_enrich_cache_entries: gauge(
    'Names held in the in-memory LRU, by namespace',
    'entries',
    ['enrich.cache.size.{namespace}'],
    ['namespace'],
  ),
  wkills_enrich_cache_pending_writes: gauge('Cache rows waiting to be sent to the main thread', 'rows', ['enrich.cache.pending_writes']),
  wkills_enrich_cache_shared: gauge('1 when the shared SQLite name cache is open', 'boolean', ['enrich.cache.shared']),
  wkills_enrich_lookups_in_flight: gauge('Name lookups in flight', 'lookups', ['enrich.lookups_in_flight']),
  wkills_enrich_cache_write_errors_total: counter('Name cache rows the main thread failed to save', 'errors', [
    'enrich.cache_write_errors',
  ]),
  wkills_enrich_late_total: counter(
    'Late enrichment of kills stored with ids: queued, completed, errors, gave up, dropped',
    'kills',
    ['enrich.late_{event}'],
    ['event'],
  ),
  wkills_esi_requests_total: counter('ESI requests sent (all routes)', 'requests', ['esi.requests']),
  wkills_esi_route_requests_total: counter('ESI requests sent, by route group', 'requests', ['esi.requests.{route}'], ['route']),
  wkills_esi_responses_total: counter('ESI responses, by HTTP status', 'responses', ['esi.status.{status}'], ['status']),
  wkills_esi_failures_total: counter('ESI requests that failed after retries, by reason', 'requests', ['esi.failed.{reason}'], ['reason']),
  wkills_esi_retries_total: counter('ESI attempts retried, by reason', 'attempts', ['esi.retry.{reason}'], ['reason']),
  wkills_esi_not_found_total: counter('ESI 404 answers', 'requests', ['esi.not_found']),
  wkills_esi_http_cache_total: counter(
    'ESI HTTP cache: fresh hits and 304 revalidations',
    'requests',
    ['esi.http_cache.{result}'],
    ['result'],
  ),
  wkills_esi_http_cache_entries: gauge('Entries in the ESI HTTP cache (per worker, summed)', 'entries', ['esi.http_cache.entries']),
  wkills_esi_http_cache_corrupt_rows: gauge('Corrupt ESI HTTP cache rows seen', 'rows', ['esi.http_cache.corrupt_rows']),
  wkills_esi_error_limit_remain: gauge('ESI error-limit budget left (-1 before the first answer; summed over workers)', 'errors', [
    'esi.error_limit.remain',
  ]),
  wkills_esi_request_duration_seconds: histogram('ESI request time, by route group (recorded in the workers)', ['route']),
} as const satisfies StageDecls;
