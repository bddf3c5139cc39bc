// Leader election through a JetStream KV key with a TTL: exactly one node holds the key, renews it
// every third of the TTL with a compare-and-set on its revision, and a standby creates it once it
// has expired. A failed renewal means another node may already lead, so the holder steps down at
// once (before the TTL can elapse) and the feed stops before a second leader can start.
import type { KV } from '@nats-io/kv';

const LEADER_KEY = 'leader';

export interface LeaseHooks {
  /** This node now holds the lease: start ingesting. Awaited before the next renewal. */
  onAcquired(): Promise<void>;
  /** This node lost or released the lease: stop ingesting. */
  onLost(reason: string): Promise<void>;
}

export interface LeaseStats {
  leader: boolean;
  leader_id: string | null;
  acquisitions: number;
  losses: number;
}

export interface LeaderLease {
  start(): void;
  stop(): Promise<void>;
  isLeader(): boolean;
  stats(): LeaseStats;
}

export function createLeaderLease(
  kv: KV,
  nodeId: string,
  leaseMs: number,
  hooks: LeaseHooks,
  onError: (err: unknown) => void,
): LeaderLease {
  const me = new TextEncoder().encode(nodeId);
  let revision = 0; // > 0 while this node holds the key
  let holder: string | null = null;
  let acquisitions = 0;
  let losses = 0;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  async function tick(): Promise<void> {
    if (revision > 0) {
      try {
        revision = await kv.update(LEADER_KEY, me, revision);
      } catch (err) {
        revision = 0;
        holder = null;
        losses++;
        await hooks.onLost(`lease renewal failed: ${(err as Error).message}`);
      }
      return;
    }
    try {
      revision = await kv.create(LEADER_KEY, me);
    } catch {
      // Held by another node (the expected case for a standby): remember who, try again later.
      const entry = await kv.get(LEADER_KEY).catch((err: unknown) => (onError(err), null));
      holder = entry && entry.operation === 'PUT' ? entry.string() : null;
      return;
    }
    holder = nodeId;
    acquisitions++;
    await hooks.onAcquired();
  }

  function schedule(): void {
    if (stopped) return;
    timer = setTimeout(
      () => {
        running = tick()
          .catch(onError)
          .finally(() => {
            running = undefined;
            schedule();
          });
      },
      Math.max(100, Math.floor(leaseMs / 3)),
    );
    timer.unref();
  }

  return {
    start() {
      running = tick()
        .catch(onError)
        .finally(() => {
          running = undefined;
          schedule();
        });
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
      if (revision === 0) return;
      const held = revision;
      revision = 0;
      await hooks.onLost('stopping');
      // Release the key so a standby takes over now instead of after the TTL.
      await kv.delete(LEADER_KEY, { previousSeq: held }).catch(onError);
    },
    isLeader: () => revision > 0,
    stats: () => ({ leader: revision > 0, leader_id: holder, acquisitions, losses }),
  };
}
