// Limit row for the SSE bench (bench/push/run.ts sse): a bare uWebSockets.js app that keeps each
// `GET /api/v1/kills/stream?system_ids=…` response open under its systems and writes every kill's
// frame — the same bytes as ours (`id: N\nevent: killmail\ndata: <json>\n\n`), encoded once — to
// each response subscribed to the kill's system. No hub, no store, no filter beyond the system, no
// slow-reader accounting, no limits: what is left is framing once and the copy to each socket.
import uWS from 'uWebSockets.js';
import { serveCommands, type DriverKill } from '../fanout/driver.js';

const bySystem = new Map<number, Set<uWS.HttpResponse>>();
let written = 0;

const app = uWS.App();
app.get('/api/v1/kills/stream', (res, req) => {
  const systems = (new URLSearchParams(req.getQuery() ?? '').get('system_ids') ?? '')
    .split(',')
    .map(Number)
    .filter((id) => Number.isSafeInteger(id) && id > 0);
  res.onAborted(() => {
    for (const s of systems) bySystem.get(s)?.delete(res);
  });
  res.cork(() => {
    res.writeStatus('200 OK').writeHeader('content-type', 'text/event-stream').writeHeader('cache-control', 'no-cache');
    res.write(': connected\n\n');
  });
  for (const s of systems) {
    let set = bySystem.get(s);
    if (set === undefined) bySystem.set(s, (set = new Set()));
    set.add(res);
  }
});

function publish(kills: DriverKill[]): void {
  for (const k of kills) {
    const subscribers = bySystem.get(k.systemId);
    if (subscribers === undefined || subscribers.size === 0) continue;
    const frame = Buffer.from(`id: ${k.killmailId}\nevent: killmail\ndata: ${k.json}\n\n`);
    for (const res of subscribers) {
      res.cork(() => res.write(frame));
      written++;
    }
  }
}

app.listen('127.0.0.1', 0, (ls) => {
  if (!ls) throw new Error('listen failed');
  process.send?.({ type: 'listening', port: uWS.us_socket_local_port(ls) });
});
serveCommands(
  publish,
  () => undefined, // the command loop exits the process
  () => ({ sse: { written } }),
);
