// One attack against a running server, in its own process so generating it never shares the
// measuring process's event loop: node --import tsx bench/abuse/attack.ts NAME PORT SECONDS.
// Prints {"name", ...counts} when done.
import net from 'node:net';
import WebSocket from 'ws';

const [name = '', portText = '', secondsText = '20', systemText = '30000001'] = process.argv.slice(2);
const port = Number(portText);
const endAt = Date.now() + Number(secondsText) * 1000;
const live = (): boolean => Date.now() < endAt;
const counts: Record<string, number> = {};
const inc = (k: string): void => void (counts[k] = (counts[k] ?? 0) + 1);

/** 4 connections pipelining 3,000 heavy GETs each without reading; reopened when closed. */
async function pipeline(): Promise<void> {
  const req = `GET /api/v1/kills/system/${systemText}?limit=1000&since_hours=168 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`.repeat(3000);
  const one = (): void => {
    if (!live()) return;
    const s = net.connect(port, '127.0.0.1', () => s.write(req));
    s.pause();
    inc('connections');
    s.on('error', () => {});
    s.on('close', () => setTimeout(one, 50));
    setTimeout(() => s.destroy(), Math.max(0, endAt - Date.now()));
  };
  for (let i = 0; i < 4; i++) one();
  await new Promise((r) => setTimeout(r, endAt - Date.now() + 100));
}

/** 10 sockets at the subscription maximum sending get_status and 5,000-system swaps back to back. */
async function wsFrames(): Promise<void> {
  const systems = Array.from({ length: 10_000 }, (_, k) => 30_000_001 + k);
  const loop = async (): Promise<void> => {
    while (live()) {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/socket/websocket?vsn=2.0.0`);
      ws.on('error', () => {});
      const closed = new Promise<void>((r) => ws.once('close', () => r()));
      await new Promise<void>((r) => (ws.once('open', () => r()), ws.once('close', () => r())));
      if (ws.readyState !== WebSocket.OPEN) {
        inc('refused');
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      inc('sockets');
      for (let c = 0; c < 5; c++)
        ws.send(
          JSON.stringify([
            '1',
            `c${c}`,
            'killmails:lobby',
            c === 0 ? 'phx_join' : 'subscribe_characters',
            c === 0
              ? { systems: systems.slice(0, 5000), preload: { enabled: false } }
              : { character_ids: Array.from({ length: 10_000 }, (_, k) => 90_000_000 + c * 10_000 + k) },
          ]),
        );
      let i = 0;
      const timer = setInterval(() => {
        if (ws.readyState !== WebSocket.OPEN || !live()) return;
        for (let k = 0; k < 20; k++, i++) {
          const swap =
            i % 2 === 0
              ? { add_systems: systems.slice(5000), remove_systems: systems.slice(0, 5000) }
              : { add_systems: systems.slice(0, 5000), remove_systems: systems.slice(5000) };
          ws.send(
            JSON.stringify([
              '1',
              String(i),
              'killmails:lobby',
              i % 3 === 0 ? 'get_status' : 'update_subscriptions',
              i % 3 === 0 ? {} : swap,
            ]),
          );
          inc('frames');
        }
      }, 10);
      await Promise.race([closed, new Promise((r) => setTimeout(r, endAt - Date.now()))]);
      clearInterval(timer);
      if (ws.readyState === WebSocket.OPEN) ws.terminate();
      else inc('closed_by_server');
    }
  };
  await Promise.all(Array.from({ length: 10 }, loop));
}

/** Open WebSockets as fast as possible from one address, holding them, past the per-IP cap. */
async function wsConnections(): Promise<void> {
  const open: WebSocket[] = [];
  while (live()) {
    const batch = Array.from(
      { length: 50 },
      () =>
        new Promise<void>((r) => {
          const ws = new WebSocket(`ws://127.0.0.1:${port}/socket/websocket?vsn=2.0.0`);
          ws.on('error', () => {});
          ws.once('open', () => {
            inc('accepted');
            open.push(ws);
            r();
          });
          ws.once('unexpected-response', (_q, res) => {
            inc(`refused_${String(res.statusCode)}`);
            r();
          });
          ws.once('close', () => r());
        }),
    );
    await Promise.all(batch);
    if (open.length > 1000) for (const ws of open.splice(0, 500)) ws.terminate();
  }
  for (const ws of open) ws.terminate();
}

/** 50 clients polling /status back to back. */
async function statusFlood(): Promise<void> {
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      while (live()) {
        try {
          await (await fetch(`http://127.0.0.1:${port}/status`)).arrayBuffer();
          inc('requests');
        } catch {
          inc('errors');
        }
      }
    }),
  );
}

/** 200 connections sending a request head without Host (uWS holds them until its timeout), renewed. */
async function malformed(): Promise<void> {
  const one = (): void => {
    if (!live()) return;
    const s = net.connect(port, '127.0.0.1', () => s.write('GET /ping HTTP/1.1\r\nX: 1\r\n\r\n'));
    inc('connections');
    s.on('error', () => {});
    s.on('close', () => setTimeout(one, 10));
    setTimeout(() => s.destroy(), Math.max(0, endAt - Date.now()));
  };
  for (let i = 0; i < 200; i++) one();
  await new Promise((r) => setTimeout(r, endAt - Date.now() + 100));
}

const ATTACKS: Record<string, () => Promise<void>> = {
  pipeline,
  'ws-frames': wsFrames,
  'ws-connections': wsConnections,
  'status-flood': statusFlood,
  malformed,
};
const attack = ATTACKS[name];
if (!attack) throw new Error(`unknown attack ${name}: ${Object.keys(ATTACKS).join(', ')}`);
await attack();
process.stdout.write(JSON.stringify({ name, ...counts }) + '\n');
process.exit(0);
