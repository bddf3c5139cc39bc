// Child process of bench/cluster/run.ts: one cluster edge as `wkills serve --role edge` builds it
// (a real SQLite store, the bus, the fan-out hub on a uWS app, the cluster stage applying the
// KILLS stream), without the pipeline and feed an edge never uses. IPC: 'listening' with the port,
// then 'usage' (CPU, RSS, the edge's applied position) on request.
import uWS from 'uWebSockets.js';
import { testConfig } from '../../src/config/index.js';
import { LOOPBACK_LOAD_LIMITS } from '../common.js';
import type { KillBus } from '../../src/core/ports.js';
import { createCluster } from '../../src/cluster/index.js';
import { createBus, createFanout } from '../../src/fanout/index.js';
import { openStore } from '../../src/store/index.js';
import { Counters, initHistograms, LatencyHistogram, silentLogger } from '../../src/telemetry/index.js';
import { usage } from '../fanout/driver.js';

const [natsUrl = '', nodeId = 'edge'] = process.argv.slice(2);
await initHistograms();
const config = testConfig({ host: '127.0.0.1', port: 0, logLevel: 'silent', ...LOOPBACK_LOAD_LIMITS });
const counters = new Counters();
const logger = silentLogger();
const store = openStore({ path: ':memory:', retentionHours: 0, counters });
const bus: KillBus = createBus({ counters, logger });
const fanout = createFanout({ config, logger, counters, reader: store.reader, bus, latency: new LatencyHistogram() });
const app = uWS.App();
fanout.attach(app);
fanout.start();
const cluster = await createCluster({
  options: {
    natsUrl,
    role: 'edge',
    nodeId,
    stream: 'KILLS',
    leaseMs: 5000,
    maxLag: 1_000_000,
    maxAgeMs: 0,
    maxBytes: 8 * 1024 ** 3,
    replicas: 1,
  },
  logger,
  store: store.writer,
  cursors: store.cursors,
  bus,
  startIngest: () => Promise.resolve(),
  stopIngest: () => Promise.resolve(),
  applySubscription: () => undefined,
});
await cluster.start();

app.listen('127.0.0.1', 0, (ls) => {
  if (!ls) throw new Error('listen failed');
  process.send?.({ type: 'listening', port: uWS.us_socket_local_port(ls) });
});
process.on('message', (m) => {
  const cmd = m as { type: string };
  if (cmd.type === 'usage') process.send?.({ type: 'usage', usage: usage(), cluster: cluster.stats(), ws: fanout.stats() });
  else if (cmd.type === 'stop') void cluster.stop().finally(() => process.exit(0));
});
