// Leader side: every committed change goes to the KILLS stream, in commit order, and the feed
// cursor kept in the cluster's KV bucket moves only after the stream has acknowledged every kill
// it covers. A leader that dies between its commit and the stream's ack therefore leaves a cursor
// behind those kills: the next leader re-reads them, and the stream's duplicate window (message id
// = killmail id) plus every edge's store (killmail_id is the key) drop the repeats. Nothing is
// lost and no client sees a kill twice.
import type { JetStreamClient } from '@nats-io/jetstream';
import type { KV } from '@nats-io/kv';
import { encodeReplicated, messageId, subjectFor, type ReplicatedKill } from './codec.js';
import type { CursorValue } from '../core/ports.js';

const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 5_000;
const CURSOR_KEY_PREFIX = 'cursor.';

export interface CommittedBatch {
  items: ReplicatedKill[];
  /** The feed cursor these kills complete (R2Z2 sequence), when it moved. */
  cursor?: CursorValue | undefined;
}

export interface PublisherStats {
  published: number;
  duplicates: number;
  publish_errors: number;
  backlog_batches: number;
  backlog_kills: number;
}

export interface KillPublisher {
  enqueue(batch: CommittedBatch): void;
  /** Resolves when the queue is empty (tests, graceful stop); gives up after `timeoutMs`. */
  drain(timeoutMs: number): Promise<boolean>;
  stop(): void;
  stats(): PublisherStats;
}

export function createKillPublisher(js: JetStreamClient, state: KV, subjectPrefix: string, onError: (err: unknown) => void): KillPublisher {
  const queue: CommittedBatch[] = [];
  const totals = { published: 0, duplicates: 0, publish_errors: 0 };
  let backlogKills = 0;
  let sending = false;
  let stopped = false;
  let retryMs = RETRY_MIN_MS;
  let idle: Array<() => void> = [];

  async function send(batch: CommittedBatch): Promise<void> {
    // Each kill is its own message (subject per system for filtered consumers); publishing them
    // concurrently lets one batch cost one round trip instead of one per kill.
    const acks = await Promise.all(
      batch.items.map((item) => js.publish(subjectFor(subjectPrefix, item), encodeReplicated(item), { msgID: messageId(item) })),
    );
    for (const ack of acks) {
      if (ack.duplicate) totals.duplicates++;
      else totals.published++;
    }
    if (batch.cursor) await state.put(CURSOR_KEY_PREFIX + batch.cursor.name, batch.cursor.value);
  }

  async function pump(): Promise<void> {
    if (sending) return;
    sending = true;
    try {
      while (queue.length > 0 && !stopped) {
        const batch = queue[0] as CommittedBatch;
        try {
          await send(batch);
          queue.shift();
          backlogKills -= batch.items.length;
          retryMs = RETRY_MIN_MS;
        } catch (err) {
          // NATS down or the stream refusing: keep the batch (its repeats are dropped by id) and retry.
          totals.publish_errors++;
          onError(err);
          await new Promise((r) => setTimeout(r, retryMs));
          retryMs = Math.min(RETRY_MAX_MS, retryMs * 2);
        }
      }
    } finally {
      sending = false;
      if (queue.length === 0) {
        const waiting = idle;
        idle = [];
        for (const resolve of waiting) resolve();
      }
    }
  }

  return {
    enqueue(batch) {
      if (stopped || (batch.items.length === 0 && batch.cursor === undefined)) return;
      queue.push(batch);
      backlogKills += batch.items.length;
      void pump();
    },
    async drain(timeoutMs) {
      if (queue.length === 0) return true;
      let timer: NodeJS.Timeout | undefined;
      const done = await Promise.race([
        new Promise<boolean>((resolve) => idle.push(() => resolve(true))),
        new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
      ]);
      clearTimeout(timer);
      return done;
    },
    stop() {
      stopped = true;
    },
    stats: () => ({ ...totals, backlog_batches: queue.length, backlog_kills: backlogKills }),
  };
}

/** The cursors the leader published up to, to seed a new leader's feed. */
export async function publishedCursors(state: KV): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  const keys = await state.keys(`${CURSOR_KEY_PREFIX}>`);
  for await (const key of keys) {
    const entry = await state.get(key);
    if (entry && entry.operation === 'PUT') out.set(key.slice(CURSOR_KEY_PREFIX.length), entry.string());
  }
  return out;
}
