// Limit row for bench/fanout/run.ts: the least work any server must do to deliver these kills —
// a bare uWS app where each client's join subscribes it to one topic per system, and each kill
// becomes one pre-encoded frame (the same bytes our hub sends: the V2 `killmail_update` with the
// kill's JSON spliced in) published once to its system's topic. No matching, no registry, no
// store, no slow-consumer checks, no counters. `kill_count_update` frames go out like ours (at
// most once a second per system, counted in memory) so the clients handle the same messages.
// docs/PERFORMANCE.md "Limit rows" says why this is the floor.
import uWS from 'uWebSockets.js';
import { serveCommands, type DriverKill } from './driver.js';

const LOBBY = '"killmails:lobby"';
const topic = (systemId: number): string => `s${systemId}`;
const counts = new Map<number, number>();
const lastCountAt = new Map<number, number>();
const countTimers = new Map<number, NodeJS.Timeout>();
let published = 0;

interface Client {
  systems: number[];
}

const app = uWS.App();

function sendCount(systemId: number): void {
  lastCountAt.set(systemId, Date.now());
  const payload = `{"system_id":${systemId},"count":${counts.get(systemId) ?? 0},"timestamp":"${new Date().toISOString()}"}`;
  app.publish(topic(systemId), `[null,null,${LOBBY},"kill_count_update",${payload}]`, false, false);
}

function noteCount(systemId: number): void {
  counts.set(systemId, (counts.get(systemId) ?? 0) + 1);
  if (app.numSubscribers(topic(systemId)) === 0 || countTimers.has(systemId)) return;
  const waitMs = (lastCountAt.get(systemId) ?? -Infinity) + 1000 - Date.now();
  if (waitMs <= 0) return sendCount(systemId);
  countTimers.set(
    systemId,
    setTimeout(() => {
      countTimers.delete(systemId);
      sendCount(systemId);
    }, waitMs),
  );
}

app.ws<Client>('/socket/websocket', {
  compression: uWS.DISABLED,
  idleTimeout: 60,
  maxPayloadLength: 128 * 1024,
  maxBackpressure: 64 * 1024 * 1024,
  upgrade: (res, req, context) => {
    res.upgrade(
      { systems: [] },
      req.getHeader('sec-websocket-key'),
      req.getHeader('sec-websocket-protocol'),
      req.getHeader('sec-websocket-extensions'),
      context,
    );
  },
  message: (ws, message) => {
    const [joinRef, ref, t, event, payload] = JSON.parse(Buffer.from(message).toString()) as [
      string | null,
      string | null,
      string,
      string,
      { systems?: number[] },
    ];
    let response = '{}';
    if (event === 'phx_join') {
      const systems = payload.systems ?? [];
      for (const id of systems) ws.subscribe(topic(id));
      ws.getUserData().systems = systems;
      response = `{"subscribed_systems":${JSON.stringify(systems)},"subscribed_characters":[],"status":"connected"}`;
    }
    ws.send(
      `[${JSON.stringify(joinRef)},${JSON.stringify(ref)},${JSON.stringify(t)},"phx_reply",{"status":"ok","response":${response}}]`,
      false,
    );
  },
});

function publish(kills: DriverKill[]): void {
  const iso = new Date().toISOString();
  for (const k of kills) {
    const frame = Buffer.from(
      `[null,null,${LOBBY},"killmail_update",{"system_id":${k.systemId},"killmails":[${k.json}],"timestamp":"${iso}","preload":false}]`,
    );
    app.publish(topic(k.systemId), frame, false, false);
    published++;
  }
  for (const k of kills) noteCount(k.systemId);
}

app.listen('127.0.0.1', 0, (ls) => {
  if (!ls) throw new Error('listen failed');
  process.send?.({ type: 'listening', port: uWS.us_socket_local_port(ls) });
});
serveCommands(
  publish,
  () => undefined,
  () => ({ ws: { published } }),
);
