// Child process for bench/rest/run.ts: the real REST server (src/http) on the real store file.
// argv[3] (optional): restCacheBytes; 0 runs it cold (every answer built from the store).
// Prints {"port": N} on its first stdout line; exits on SIGTERM.
import { testConfig } from '../../src/config/index.js';
import { createHttpServer } from '../../src/http/index.js';
import { openStore } from '../../src/store/index.js';
import { Counters, silentLogger } from '../../src/telemetry/index.js';

const dbPath = process.argv[2];
if (!dbPath) throw new Error('usage: serve-uws.ts DB_PATH');
const store = openStore({ path: dbPath, retentionHours: 0 });
const server = createHttpServer({
  config: testConfig({
    host: '127.0.0.1',
    port: 0,
    logLevel: 'silent',
    ...(process.argv[3] !== undefined && { restCacheBytes: Number(process.argv[3]) }),
  }),
  logger: silentLogger(),
  counters: new Counters(),
  reader: store.reader,
  health: { store: () => store.health() },
});
const port = await server.start();
process.stdout.write(JSON.stringify({ port }) + '\n');
process.on('SIGTERM', () => {
  server.stop();
  store.close();
  process.exit(0);
});
