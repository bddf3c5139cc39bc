// Ingest glue on the main thread: outcomes into the store, the bus and the feed cursor.
import { counter, histogram, type StageDecls } from '../registry.js';

export const ingestMetrics = {
  wkills_ingest_stored_total: counter('Kills written to the store', 'kills', ['ingest.stored']),
  wkills_ingest_skipped_total: counter('Kills already stored (duplicates)', 'kills', ['ingest.skipped']),
  wkills_ingest_replaced_total: counter('Stored kills replaced by a more complete copy', 'kills', ['ingest.replaced']),
  wkills_ingest_expired_total: counter('Kills older than the retention window: neither stored nor broadcast', 'kills', ['ingest.expired']),
  wkills_ingest_older_total: counter('Kills stored but older than the cutoff (not broadcast)', 'kills', ['ingest.older']),
  wkills_ingest_failed_total: counter('Entries that reached a failed outcome', 'entries', ['ingest.failed']),
  wkills_ingest_failures_total: counter(
    'Entries that reached a failed outcome, by reason',
    'entries',
    ['ingest.failed.{reason}'],
    ['reason'],
  ),
  wkills_ingest_invalid_total: counter('Kills the store refused as invalid', 'kills', ['ingest.invalid']),
  wkills_ingest_store_errors_total: counter('Store batches that failed (retried)', 'errors', ['ingest.store_errors']),
  wkills_ingest_feed_pauses_total: counter('Times the feed was paused while the store held a backlog', 'pauses', ['ingest.feed_pauses']),
  wkills_ingest_broadcast_total: counter('Kills published to the fan-out bus', 'kills', ['ingest.broadcast']),
  wkills_ingest_fetch_retries_total: counter('Entries re-pushed after an ESI killmail fetch failed', 'entries', ['ingest.fetch_retries']),
  wkills_ingest_fetch_retry_dead_letters_total: counter('Entries dead-lettered after the fetch retries ran out', 'entries', [
    'ingest.fetch_retry_dead_letters',
  ]),
  wkills_ingest_feed_refetches_total: counter('Entries that did not parse, fetched again from the feed', 'entries', [
    'ingest.feed_refetches',
  ]),
  wkills_ingest_feed_refetch_dead_letters_total: counter('Entries dead-lettered after the feed refetch still did not parse', 'entries', [
    'ingest.feed_refetch_dead_letters',
  ]),
  wkills_ingest_parse_dead_letters_total: counter('Entries dead-lettered because they did not parse (no refetch possible)', 'entries', [
    'ingest.parse_dead_letters',
  ]),
  wkills_zkb_requests_total: counter('zKillboard API requests for kills not in the store', 'requests', ['zkb.requests']),
  wkills_zkb_errors_total: counter('zKillboard API requests that failed', 'errors', ['zkb.errors']),
  wkills_zkb_paused_total: counter('zKillboard API fetches paused after the upstream refused or failed', 'pauses', ['zkb.paused']),
  wkills_zkb_refused_paused_total: counter('Lookups refused while zKillboard fetches were paused', 'requests', ['zkb.refused_paused']),
  wkills_zkb_esi_no_body_total: counter('zKillboard knew the kill but ESI had no body for it', 'requests', ['zkb.esi_no_body']),
  wkills_zkb_miss_cache_hits_total: counter('Lookups answered from the cache of recent upstream misses', 'requests', [
    'zkb.miss_cache_hits',
  ]),
  wkills_zkb_joined_total: counter('Lookups that joined a fetch already in flight for the same kill', 'requests', ['zkb.joined']),
  wkills_zkb_busy_total: counter('zKillboard API requests refused because too many were in flight', 'requests', ['zkb.busy']),
  wkills_ingest_to_stored_seconds: histogram('Time from feed receipt to the kill committed in SQLite'),
  wkills_ingest_to_broadcast_seconds: histogram('Time from feed receipt to the kill handed to the WebSocket'),
} as const satisfies StageDecls;
