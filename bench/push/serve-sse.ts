// Child process of bench/push/run.ts (sse): the real HTTP server with the SSE routes and hub on a
// real SQLite store (':memory:'), and the fan-out driver writing each batch to the store and then
// publishing it on the bus, as app.ts does after the pipeline.
import { testConfig } from '../../src/config/index.js';
import { createBus, createSseHub } from '../../src/fanout/index.js';
import { createHttpServer, sseRoutes } from '../../src/http/index.js';
import { openStore } from '../../src/store/index.js';
import { Counters, initHistograms, LatencyHistogram, silentLogger } from '../../src/telemetry/index.js';
import { driverRecords, serveCommands, type DriverKill } from '../fanout/driver.js';

await initHistograms();
const config = testConfig({
  host: '127.0.0.1',
  port: 0,
  logLevel: 'silent',
  sseMaxConnections: 100_000,
  sseMaxPerIp: 100_000,
  sseMaxBufferedBytes: 8 * 1024 * 1024,
});
const counters = new Counters();
const logger = silentLogger();
const store = openStore({ path: ':memory:', retentionHours: 0, counters });
const bus = createBus({ counters, logger });
const latency = new LatencyHistogram();
const sse = createSseHub({ config, logger, counters, reader: store.reader, resume: store.resume, bus, latency });
const http = createHttpServer({ config, logger, counters, reader: store.reader, health: {} });
for (const r of sseRoutes(sse)) http.route(r);
sse.start();

function publish(kills: DriverKill[]): void {
  const records = driverRecords(kills);
  store.writer.writeBatch(records);
  bus.publish(records);
}

const port = await http.start();
process.send?.({ type: 'listening', port });
serveCommands(
  publish,
  () => sse.stop(),
  () => ({ sse: sse.stats(), publishLatencyUs: latency.summary() }),
);
