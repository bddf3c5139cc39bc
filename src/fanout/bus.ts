// In-process kill bus (docs/ARCHITECTURE.md#the-shape): the store hands each stored batch to every listener
// synchronously, in subscription order. A listener that throws is a bug in that listener: it is
// counted and logged, and the other listeners still get the batch (one bad consumer must not
// stop fan-out, SSE or webhooks).
import type { BusKill, KillBus } from '../core/ports.js';
import type { Counters, Logger } from '../telemetry/index.js';

export interface BusOptions {
  counters?: Counters;
  logger?: Logger;
}

type Listener = (kills: readonly BusKill[]) => void;

export function createBus(opts: BusOptions = {}): KillBus {
  // Copy-on-write: publish iterates a stable array even when a listener unsubscribes mid-batch.
  let listeners: readonly Listener[] = [];
  return {
    publish(kills) {
      if (kills.length === 0) return;
      for (const listener of listeners) {
        try {
          listener(kills);
        } catch (err) {
          opts.counters?.inc('bus.listener_errors');
          opts.logger?.error({ err, kills: kills.length }, 'bus listener threw; batch still delivered to the others');
        }
      }
    },
    subscribe(listener) {
      listeners = [...listeners, listener];
      return () => {
        listeners = listeners.filter((l) => l !== listener);
      };
    },
  };
}
