// Baseline for bench/fanout/run.ts: what a user would otherwise write (docs/PERFORMANCE.md
// "WebSocket fan-out"): node:http + the `ws` package, the Phoenix V2 frames by hand, JSON.parse of each kill
// on the main thread, and a per-client JSON.stringify + ws.send for every matching client. It
// also pushes `kill_count_update` at most once per second per system like ours, so that clients
// of both servers handle the same messages.
import { createServer } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { serveCommands, type DriverKill } from '../fanout/driver.js';

const LOBBY = 'killmails:lobby';
const bySystem = new Map<number, Set<WebSocket>>();
let delivered = 0;
const counts = new Map<number, number>();
const lastCountAt = new Map<number, number>();
const countTimers = new Map<number, NodeJS.Timeout>();

function sendCount(systemId: number): void {
  lastCountAt.set(systemId, Date.now());
  const count = counts.get(systemId) ?? 0;
  const timestamp = new Date().toISOString();
  for (const ws of bySystem.get(systemId) ?? [])
    ws.send(JSON.stringify([null, null, LOBBY, 'kill_count_update', { system_id: systemId, count, timestamp }]));
}

function noteCount(systemId: number): void {
  counts.set(systemId, (counts.get(systemId) ?? 0) + 1);
  if (!bySystem.get(systemId)?.size || countTimers.has(systemId)) return;
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

const server = createServer((_req, res) => {
  res.writeHead(404).end();
});
const wss = new WebSocketServer({ server, path: '/socket/websocket', maxPayload: 128 * 1024, perMessageDeflate: false });

wss.on('connection', (ws) => {
  const systems = new Set<number>();
  ws.on('message', (data) => {
    let frame: unknown;
    try {
      frame = JSON.parse(String(data));
    } catch {
      ws.close(1007, 'invalid_json');
      return;
    }
    if (!Array.isArray(frame) || frame.length !== 5) {
      ws.close(1007, 'invalid_frame');
      return;
    }
    const [joinRef, ref, topic, event, payload] = frame as [string | null, string | null, string, string, Record<string, unknown>];
    if (event === 'phx_join' && topic === LOBBY) {
      for (const id of (payload['systems'] as number[] | undefined) ?? []) {
        systems.add(id);
        let set = bySystem.get(id);
        if (!set) bySystem.set(id, (set = new Set()));
        set.add(ws);
      }
      ws.send(
        JSON.stringify([
          joinRef,
          ref,
          topic,
          'phx_reply',
          { status: 'ok', response: { subscribed_systems: [...systems], status: 'connected' } },
        ]),
      );
    } else {
      ws.send(JSON.stringify([joinRef, ref, topic, 'phx_reply', { status: 'ok', response: {} }]));
    }
  });
  ws.on('close', () => {
    for (const id of systems) bySystem.get(id)?.delete(ws);
  });
});

function publish(kills: DriverKill[]): void {
  for (const k of kills) {
    const kill = JSON.parse(k.json) as { system_id: number };
    const subs = bySystem.get(kill.system_id);
    if (subs) {
      const timestamp = new Date().toISOString();
      for (const ws of subs) {
        ws.send(
          JSON.stringify([
            null,
            null,
            LOBBY,
            'killmail_update',
            { system_id: kill.system_id, killmails: [kill], timestamp, preload: false },
          ]),
        );
        delivered++;
      }
    }
  }
  for (const k of kills) noteCount(k.systemId);
}

server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  process.send?.({ type: 'listening', port: typeof addr === 'object' && addr ? addr.port : 0 });
});
serveCommands(
  publish,
  () => server.close(),
  () => ({ ws: { activeConnections: wss.clients.size, killsSentRealtime: delivered } }),
);
