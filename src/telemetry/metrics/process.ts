// Service-level gauges (prom-client adds the standard process_* and nodejs_* families: CPU,
// memory, GC, event-loop lag).
import { gauge, type StageDecls } from '../registry.js';

export const processMetrics = {
  wkills_up: gauge('1 while the service runs', 'boolean'),
  wkills_healthy: gauge('1 when the /health component is healthy', 'boolean', [], ['component']),
} as const satisfies StageDecls;
