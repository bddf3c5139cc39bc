// REST and operations routes.
import { counter, gauge, histogram, type StageDecls } from '../registry.js';

export const httpMetrics = {
  wkills_http_requests_total: counter('HTTP requests answered, by route and status', 'requests', [], ['route', 'status']),
  wkills_http_request_duration_seconds: histogram('HTTP request time from arrival to the last byte written, by route', ['route']),
  wkills_http_aborted_total: counter('HTTP requests the client aborted', 'requests', ['http.aborted']),
  wkills_http_stream_backpressure_total: counter('Streamed responses that waited for the socket to drain', 'responses', [
    'http.stream.backpressure',
  ]),
  wkills_http_write_skipped_total: counter(
    'Response writes skipped, by reason (after_abort, already_sent)',
    'writes',
    ['http.write_skipped.{reason}'],
    ['reason'],
  ),
  wkills_http_killmail_fetches_total: counter(
    'Killmail lookups fetched upstream: started, joined an in-flight fetch',
    'requests',
    ['http.killmail.fetch_{event}'],
    ['event'],
  ),
  wkills_http_killmail_rate_limited_total: counter(
    'Killmail lookups refused (429) by the per-address limit on upstream fetches',
    'requests',
    ['http.killmail.rate_limited'],
  ),
  wkills_http_rejected_total: counter(
    'HTTP requests refused before routing, by reason (framing, …)',
    'requests',
    ['http.rejected.{reason}'],
    ['reason'],
  ),
  wkills_http_answer_cache_hits_total: counter('REST answers served from the answer cache', 'requests', ['http.answer_cache.hits']),
  wkills_http_answer_cache_misses_total: counter('REST answers built because the answer cache had none', 'requests', [
    'http.answer_cache.misses',
  ]),
  wkills_http_answer_cache_evictions_total: counter('Answers evicted from the answer cache', 'answers', ['http.answer_cache.evictions']),
  wkills_http_answer_cache_bytes: gauge('Bytes held by the REST answer cache', 'bytes', ['http.answer_cache.bytes']),
  wkills_http_answer_cache_entries: gauge('Answers held by the REST answer cache', 'answers', ['http.answer_cache.entries']),
} as const satisfies StageDecls;
