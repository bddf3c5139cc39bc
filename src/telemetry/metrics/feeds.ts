// Feed stage (R2Z2, RedisQ on the main thread). The feeds count through Tally as
// `feed.<source>.<event>`; the source becomes a label.
import { counter, gauge, type StageDecls } from '../registry.js';

export const feedMetrics = {
  wkills_feed_entries_received_total: counter(
    'Feed entries received and pushed into the pipeline',
    'entries',
    ['feed.{source}.received'],
    ['source'],
  ),
  wkills_feed_received_bytes_total: counter('Bytes of feed entries received', 'bytes', ['feed.{source}.bytes'], ['source']),
  wkills_feed_requests_total: counter(
    'Feed HTTP requests (R2Z2 sequence fetches, RedisQ polls)',
    'requests',
    ['feed.{source}.requests', 'feed.{source}.polls'],
    ['source'],
  ),
  wkills_feed_errors_total: counter('Feed fetch failures by reason', 'errors', ['feed.{source}.error.{reason}'], ['source', 'reason']),
  wkills_feed_acked_total: counter(
    'Entries the pipeline finished (acknowledged back to the feed)',
    'entries',
    ['feed.{source}.acked'],
    ['source'],
  ),
  wkills_feed_ack_unknown_total: counter(
    'Acknowledgements for a sequence the feed did not have in flight',
    'entries',
    ['feed.{source}.ack_unknown'],
    ['source'],
  ),
  wkills_feed_backpressure_waits_total: counter(
    'Times the feed waited because the pipeline was full',
    'waits',
    ['feed.{source}.backpressure_waits'],
    ['source'],
  ),
  wkills_feed_backoffs_total: counter('Feed back-offs after errors or an empty feed', 'backoffs', ['feed.{source}.backoffs'], ['source']),
  wkills_feed_blocked_backoffs_total: counter(
    'R2Z2 back-offs after the upstream blocked us (403/429)',
    'backoffs',
    ['feed.{source}.blocked_backoffs'],
    ['source'],
  ),
  wkills_feed_crashes_total: counter('Feed loop crashes (restarted)', 'crashes', ['feed.{source}.crash'], ['source']),
  wkills_feed_refetches_total: counter(
    'R2Z2 bodies fetched again after they did not parse',
    'requests',
    ['feed.{source}.refetches'],
    ['source'],
  ),
  wkills_feed_not_found_total: counter(
    'R2Z2 sequences not published yet (404: caught up)',
    'requests',
    ['feed.{source}.not_found'],
    ['source'],
  ),
  wkills_feed_gaps_total: counter('R2Z2 gaps: the feed moved past sequences it never saw', 'gaps', ['feed.{source}.gap'], ['source']),
  wkills_feed_gap_sequences_total: counter('R2Z2 sequences lost in gaps', 'sequences', ['feed.{source}.gap_seqs'], ['source']),
  wkills_feed_cursor_events_total: counter(
    'Cursor anomalies: invalid, ahead of the feed, write errors',
    'events',
    ['feed.{source}.cursor_{event}'],
    ['source', 'event'],
  ),
  wkills_feed_no_kills_total: counter('RedisQ polls that returned no kill', 'polls', ['feed.{source}.no_kills'], ['source']),
  wkills_feed_circuit_events_total: counter(
    'RedisQ circuit breaker: opened, polls skipped while open',
    'events',
    ['feed.{source}.circuit_{event}'],
    ['source', 'event'],
  ),
  // Backfill (`wkills backfill`) and R2Z2 gap repair: source `backfill` / `gap_repair`.
  wkills_feed_history_entries_total: counter(
    'History entries read (backfill, gap repair)',
    'entries',
    ['feed.{source}.entries'],
    ['source'],
  ),
  wkills_feed_history_pushed_total: counter(
    'History entries pushed: full mails, or id → hash for an ESI fetch',
    'entries',
    ['feed.{source}.pushed', 'feed.{source}.pushed_fetch'],
    ['source'],
  ),
  wkills_feed_history_skipped_total: counter(
    'History entries not pushed: already stored (known) or too large',
    'entries',
    ['feed.{source}.known', 'feed.{source}.too_large'],
    ['source'],
  ),
  wkills_feed_history_units_total: counter(
    'History units (days, files): done, skipped as done before, missing, failed',
    'units',
    ['feed.{source}.units_{event}'],
    ['source', 'event'],
  ),
  wkills_feed_history_retries_total: counter(
    'History units read again after an error',
    'retries',
    ['feed.{source}.unit_retries'],
    ['source'],
  ),
  wkills_feed_history_progress_errors_total: counter(
    'Backfill progress writes that failed',
    'errors',
    ['feed.{source}.progress_write_errors'],
    ['source'],
  ),
  wkills_feed_gap_repair_events_total: counter(
    'Gap repair: gaps, repaired, resumed after a restart, incomplete passes, given up',
    'events',
    ['feed.{source}.gaps', 'feed.{source}.repaired', 'feed.{source}.resumed', 'feed.{source}.passes_incomplete', 'feed.{source}.gave_up'],
    ['source'],
  ),
  wkills_feed_last_entry_age_seconds: gauge('Age of the newest feed entry received', 'seconds', [], ['source']),
  wkills_feed_up: gauge('1 when the feed component is healthy', 'boolean', [], ['source']),
} as const satisfies StageDecls;
