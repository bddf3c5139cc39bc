// Store stage: SQLite writer, retention, WAL checkpoints.
import { counter, gauge, type StageDecls } from '../registry.js';

export const storeMetrics = {
  wkills_store_batches_total: counter('Store write batches committed', 'batches', ['store.batches']),
  wkills_store_kills_stored_total: counter('Kills inserted by the store writer', 'kills', ['store.stored']),
  wkills_store_kills_skipped_total: counter('Kills the store writer skipped (already stored)', 'kills', ['store.skipped']),
  wkills_store_kills_replaced_total: counter('Kills the store writer replaced with a more complete copy', 'kills', ['store.replaced']),
  wkills_store_kills_invalid_total: counter('Kills the store writer refused (dead-lettered)', 'kills', ['store.invalid']),
  wkills_store_write_errors_total: counter('Store write transactions that failed', 'errors', ['store.write_errors']),
  wkills_store_dead_letters_total: counter('Entries written to the dead-letter table', 'entries', ['store.dead_letters']),
  wkills_store_pruned_total: counter('Kills removed by retention', 'kills', ['store.pruned']),
  wkills_store_retention_errors_total: counter('Retention passes that failed', 'errors', ['store.retention_errors']),
  wkills_store_wal_checkpoints_total: counter('WAL checkpoints that completed', 'checkpoints', ['store.wal_checkpoints']),
  wkills_store_wal_checkpoints_busy_total: counter('WAL checkpoints that found readers in the way', 'checkpoints', [
    'store.wal_checkpoints_busy',
  ]),
  wkills_store_checkpointer_errors_total: counter('WAL checkpointer errors', 'errors', ['store.checkpointer_errors']),
  wkills_store_killmails: gauge('Kills in the store', 'kills'),
  wkills_store_systems: gauge('Solar systems with stored kills', 'systems'),
  wkills_store_db_bytes: gauge('SQLite database file size', 'bytes'),
  wkills_store_wal_bytes: gauge('SQLite WAL file size', 'bytes'),
} as const satisfies StageDecls;
