// Webhook subscriptions shared by every node: a JetStream KV bucket keyed by subscription id. A
// node that creates, re-enables or deletes a subscription (REST on any edge), or whose deliveries
// change its failure count, puts the row here; every node watches the bucket and applies the
// changes of the others, so the leader (the one node that delivers) knows subscriptions created
// anywhere, and GET /api/v1/subscriptions answers the same on every node. A node started later
// receives the current rows first (the watch replays the last value of each key).
import type { KV } from '@nats-io/kv';
import type { SubscriptionChange, WebhookRow } from '../core/ports.js';

export interface SubscriptionSync {
  share(change: SubscriptionChange): void;
  start(apply: (change: SubscriptionChange) => void): Promise<void>;
  stop(): void;
}

export function createSubscriptionSync(kv: KV, nodeId: string, onError: (err: unknown, what: string) => void): SubscriptionSync {
  let watcher: { stop(): void } | undefined;

  return {
    share(change) {
      // Ours is tagged, so the echo of our own put is not applied a second time.
      const write = change.kind === 'put' ? kv.put(change.row.id, JSON.stringify({ node: nodeId, row: change.row })) : kv.delete(change.id);
      void write.catch((err: unknown) => onError(err, 'subscription change not shared'));
    },
    async start(apply) {
      const iter = await kv.watch();
      watcher = iter;
      void (async () => {
        for await (const e of iter) {
          try {
            if (e.operation !== 'PUT') apply({ kind: 'delete', id: e.key });
            else {
              const { node, row } = e.json<{ node: string; row: WebhookRow }>();
              if (node !== nodeId) apply({ kind: 'put', row });
            }
          } catch (err) {
            onError(err, 'subscription change not applied');
          }
        }
      })();
    },
    stop() {
      watcher?.stop();
    },
  };
}
