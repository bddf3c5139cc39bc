// Child process of bench/fanout/run.ts: the real fan-out hub (src/fanout) on a uWS app, a real
// SQLite store (':memory:'), and the driver writing each batch to the store and then publishing it
// on the bus, as app.ts does after the pipeline. Logs go nowhere.
import uWS from 'uWebSockets.js';
import { testConfig } from '../../src/config/index.js';
import { LOOPBACK_LOAD_LIMITS } from '../common.js';
import { createBus, createFanout } from '../../src/fanout/index.js';
import { openStore } from '../../src/store/index.js';
import { Counters, initHistograms, LatencyHistogram, silentLogger } from '../../src/telemetry/index.js';
import { driverRecords, serveCommands, type DriverKill } from './driver.js';

await initHistograms();
const config = testConfig({ host: '127.0.0.1', port: 0, logLevel: 'silent', ...LOOPBACK_LOAD_LIMITS });
const counters = new Counters();
const logger = silentLogger();
const store = openStore({ path: ':memory:', retentionHours: 0, counters });
const bus = createBus({ counters, logger });
const publishLatency = new LatencyHistogram();
const fanout = createFanout({ config, logger, counters, reader: store.reader, bus, latency: publishLatency });
const app = uWS.App();
fanout.attach(app);
fanout.start();

let storeCpuUs = 0;

function publish(kills: DriverKill[]): void {
  const records = driverRecords(kills);
  // The store write is the ingest's work, not the fan-out's: its CPU is counted apart, so the
  // runner can compare the fan-out alone with the limit row (which stores nothing).
  const c0 = process.cpuUsage();
  store.writer.writeBatch(records);
  const c1 = process.cpuUsage(c0);
  storeCpuUs += c1.user + c1.system;
  bus.publish(records);
}

app.listen('127.0.0.1', 0, (ls) => {
  if (!ls) throw new Error('listen failed');
  process.send?.({ type: 'listening', port: uWS.us_socket_local_port(ls) });
});
serveCommands(
  publish,
  () => fanout.stop(),
  () => ({ ws: fanout.stats(), counters: counters.snapshot(), publishLatencyUs: publishLatency.summary(), storeCpuUs }),
);
