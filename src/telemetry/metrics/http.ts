// REST and operations routes.
import { counter, histogram, type StageDecls } from '../registry.js';

export const httpMetrics = {
  wkills_http_requests_total: counter('HTTP requests answered, by route and status', 'requests', [], ['route', 'status']),
  wkills_http_request_duration_seconds: histogram('HTTP request time from arrival to the last byte written, by route', ['route']),
  wkills_http_aborted_total: counter('HTTP requests the client aborted', 'requests', ['http.aborted']),
  wkills_http_stream_backpressure_total: counter('Streamed responses that waited for the socket to drain', 'responses', ['http.stream.backpressure']),
  wkills_http_write_skipped_total: counter('Response writes skipped, by reason (after_abort, already_sent)', 'writes', ['http.write_skipped.{reason}'], ['reason']),
  wkills_http_killmail_fetches_total: counter('Killmail lookups fetched upstream: started, joined an in-flight fetch', 'requests', ['http.killmail.fetch_{event}'], ['event']),
  wkills_http_killmail_rate_limited_total: counter('Killmail lookups refused (429) by the per-address limit on upstream fetches', 'requests', ['http.killmail.rate_limited']),
} as const satisfies StageDecls;
