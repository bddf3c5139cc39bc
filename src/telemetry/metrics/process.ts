// Service-level gauges (prom-client adds the standard process_* and nodejs_* families: CPU,
// memory, GC, event-loop lag).
import { counter, gauge, type StageDecls } from '../registry.js';

export const processMetrics = {
  wkills_up: gauge('1 while the service runs', 'boolean'),
  wkills_healthy: gauge('1 when the /health component is healthy', 'boolean', [], ['component']),
  // Read from /proc at each scrape (telemetry/thread-cpu.ts); absent off Linux.
  wkills_thread_cpu_seconds_total: counter(
    "CPU time of the service's threads by role: main, pipeline (the workers), writer (the store's writer thread, with dbWriterThread), checkpoint (the WAL copier), other (V8's GC and compiler, libuv's pool)",
    'seconds',
    [],
    ['role'],
  ),
  wkills_thread_runqueue_wait_seconds_total: counter(
    "Time the service's threads were runnable but waiting for a core, by role; on main, a sign the machine lacks CPU for the load",
    'seconds',
    [],
    ['role'],
  ),
} as const satisfies StageDecls;
