// Edge side, stream half: an ordered consumer on the KILLS stream from the position after the last
// applied message (a new edge starts at the stream's first message: the retention window). Messages
// are gathered while more are already buffered and applied as one batch, so a catch-up replay costs
// one transaction per few hundred kills. A store that refuses a batch stops the consumer; it is
// recreated from the last applied position after a back-off, so nothing is skipped.
import { DeliverPolicy, type JetStreamClient } from '@nats-io/jetstream';
import { decodeReplicated, type ReplicatedKill } from './codec.js';
import type { ReplicaSink } from './replica.js';

const MAX_BATCH = 512;
const PULL_EXPIRES_MS = 5_000;
const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 5_000;

export interface EdgeConsumerStats {
  consumed: number;
  bad_messages: number;
  errors: number;
  restarts: number;
}

export interface EdgeConsumer {
  start(): void;
  /** Recreate the consumer from the last applied position (after the sink was reset). */
  restart(): void;
  stop(): Promise<void>;
  stats(): EdgeConsumerStats;
}

export function createEdgeConsumer(
  js: JetStreamClient,
  stream: string,
  sink: ReplicaSink,
  onError: (err: unknown, what: string) => void,
): EdgeConsumer {
  const totals = { consumed: 0, bad_messages: 0, errors: 0, restarts: 0 };
  let stopped = false;
  let current: { stop(): void } | undefined;
  let loop: Promise<void> | undefined;

  async function runOnce(): Promise<void> {
    const from = sink.appliedSeq() + 1;
    const consumer = await js.consumers.get(stream, { deliver_policy: DeliverPolicy.StartSequence, opt_start_seq: from });
    // Short pulls: a server that restarted (losing this ephemeral consumer) is noticed after two
    // missed heartbeats of half `expires`, seconds instead of the default half a minute.
    const messages = await consumer.consume({ max_messages: 1024, expires: PULL_EXPIRES_MS });
    current = messages;
    const batch: ReplicatedKill[] = [];
    let lastSeq = 0;
    for await (const m of messages) {
      if (stopped) break;
      lastSeq = m.seq;
      totals.consumed++;
      try {
        batch.push(decodeReplicated(m.data));
      } catch (err) {
        totals.bad_messages++; // not ours: skipped, its position still counts as applied
        onError(err, 'undecodable stream message');
      }
      if (batch.length < MAX_BATCH && messages.getPending() > 0) continue;
      sink.apply(batch, lastSeq); // throws: the finally below stops the consumer, the loop retries
      batch.length = 0;
    }
  }

  async function run(): Promise<void> {
    let retryMs = RETRY_MIN_MS;
    while (!stopped) {
      try {
        await runOnce();
        retryMs = RETRY_MIN_MS;
      } catch (err) {
        totals.errors++;
        onError(err, 'edge consumer stopped; resuming from the last applied message');
      } finally {
        current?.stop();
        current = undefined;
      }
      if (stopped) return;
      totals.restarts++;
      await new Promise((r) => setTimeout(r, retryMs));
      retryMs = Math.min(RETRY_MAX_MS, retryMs * 2);
    }
  }

  return {
    start() {
      loop ??= run();
    },
    restart() {
      current?.stop();
    },
    async stop() {
      stopped = true;
      current?.stop();
      await loop;
    },
    stats: () => ({ ...totals }),
  };
}
