// End to end: simulator (R2Z2 over loopback HTTP) → pipeline workers → store → bus → Phoenix
// WebSocket, with the official phoenix client: the firehose and a lobby subscribed to every
// simulator system both get each published kill exactly once, as canonical killmails.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Channel, Socket } from 'phoenix';
import { createApp, type App } from '../../src/app.js';
import { testConfig } from '../../src/config/index.js';
import { SYSTEMS } from '../../src/sim/index.js';
import { silentLogger } from '../../src/telemetry/index.js';
import { phoenixSocket, waitFor } from './ws-harness.js';

let app: App;
let socket: Socket;

before(async () => {
  const config = testConfig({
    source: 'sim',
    simRate: 0,
    host: '127.0.0.1',
    port: 0,
    db: ':memory:',
    workers: 1,
    logLevel: 'silent',
    statusIntervalSeconds: 0,
  });
  app = await createApp(config, { logger: silentLogger(), sim: { rate: 0 } });
  await app.start();
});
after(async () => {
  socket?.disconnect();
  await app.stop();
});

function join(ch: Channel): Promise<void> {
  return new Promise((resolve, reject) => {
    ch.join()
      .receive('ok', () => resolve())
      .receive('error', (e: unknown) => reject(new Error(JSON.stringify(e))));
  });
}

test('simulator kills reach the firehose and a lobby client exactly once', async () => {
  socket = phoenixSocket(`ws://127.0.0.1:${app.port()}/socket`, { client_identifier: 'e2e' });
  socket.connect();
  const seen = { all: [] as number[], lobby: [] as number[] };
  const firehose = socket.channel('killmails:all', {});
  firehose.on('killmail_update', (p: { killmails: Array<{ killmail_id: number }> }) => {
    for (const k of p.killmails) seen.all.push(k.killmail_id);
  });
  const lobby = socket.channel('killmails:lobby', { systems: SYSTEMS.map((s) => s.id), preload: { enabled: false } });
  lobby.on('killmail_update', (p: { preload: boolean; killmails: Array<{ killmail_id: number; victim: unknown; zkb: unknown }> }) => {
    assert.equal(p.preload, false);
    for (const k of p.killmails) {
      assert.ok(k.victim && k.zkb, 'canonical killmail');
      seen.lobby.push(k.killmail_id);
    }
  });
  await join(firehose);
  await join(lobby);
  const published = app.sim?.publish(20) ?? 0;
  assert.equal(published, 20);
  await waitFor(
    () => seen.all.length >= 20 && seen.lobby.length >= 20,
    30_000,
    `kills (${seen.all.length} all, ${seen.lobby.length} lobby)`,
  );
  assert.equal(seen.all.length, 20);
  assert.equal(new Set(seen.all).size, 20);
  assert.deepEqual([...seen.lobby].sort(), [...seen.all].sort());
  const ws = app.fanout.stats();
  assert.equal(ws.activeConnections, 1);
  assert.ok(ws.killsSentRealtime >= 40);
});
