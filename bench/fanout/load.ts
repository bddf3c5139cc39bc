// Load process of bench/fanout/run.ts (forked, IPC): opens its share of Phoenix V2 clients (raw
// `ws` speaking the V2 frames, plus a few official `phoenix` clients), joins each to its systems,
// and records per phase the ingest → delivery latency of every kill it receives (the stamp the
// driver put in the kill JSON), into HDR histograms sent back encoded for the runner to merge.
import WebSocket from 'ws';
import { Socket } from 'phoenix';
import { epochUs } from '../../src/core/clock.js';
import { initHistograms, LatencyHistogram } from '../../src/telemetry/index.js';

export type LoadCommand =
  | { type: 'connect'; url: string; clients: number[][]; phoenix: number; concurrency: number }
  | { type: 'expect'; phase: 's' | 'b'; count: number }
  | { type: 'report'; phase: 's' | 'b' }
  | { type: 'cpu' }
  | { type: 'close' };

await initHistograms();
const STAMP = /"bench_at_us":(\d+),"bench_phase":"(\w)"/g;
const hist = { s: new LatencyHistogram(), b: new LatencyHistogram() };
const received = { s: 0, b: 0 };
const lastUs = { s: 0, b: 0 };
const expected: { s: number; b: number } = { s: -1, b: -1 };
const connectHist = new LatencyHistogram();
const raw: WebSocket[] = [];
const phoenix: Socket[] = [];
let errors = 0;

function record(phase: string, atUs: number, nowUs: number): void {
  if (phase !== 's' && phase !== 'b') return;
  hist[phase].recordUs(nowUs - atUs);
  received[phase]++;
  lastUs[phase] = nowUs;
  if (received[phase] === expected[phase]) report(phase);
}

function report(phase: 's' | 'b'): void {
  const cpu = process.cpuUsage();
  process.send?.({
    type: 'phase',
    phase,
    received: received[phase],
    lastUs: lastUs[phase],
    hist: hist[phase].encode(),
    errors,
    cpuUs: cpu.user + cpu.system,
  });
}

function onFrame(data: Buffer): void {
  const nowUs = epochUs();
  const s = data.toString('latin1');
  if (!s.includes('"killmail_update"')) return;
  STAMP.lastIndex = 0;
  for (let m = STAMP.exec(s); m; m = STAMP.exec(s)) record(m[2] as string, Number(m[1]), nowUs);
}

function openRaw(url: string, systems: number[]): Promise<void> {
  const t0 = epochUs();
  return new Promise((resolve) => {
    const ws = new WebSocket(`${url}/websocket?vsn=2.0.0`, { perMessageDeflate: false });
    ws.on('open', () => ws.send(JSON.stringify(['1', '1', 'killmails:lobby', 'phx_join', { systems, preload: { enabled: false } }])));
    ws.once('message', (data: Buffer) => {
      if (!data.toString().includes('"ok"')) errors++;
      connectHist.recordUs(epochUs() - t0);
      ws.on('message', onFrame);
      raw.push(ws);
      resolve();
    });
    ws.on('error', () => {
      errors++;
      resolve();
    });
  });
}

function openPhoenix(url: string, systems: number[]): Promise<void> {
  const t0 = epochUs();
  return new Promise((resolve) => {
    const socket = new Socket(url, { transport: WebSocket as unknown as new (endpoint: string) => object });
    socket.connect();
    phoenix.push(socket);
    const ch = socket.channel('killmails:lobby', { systems, preload: { enabled: false } });
    ch.on('killmail_update', (p: { killmails: Array<{ bench_at_us: number; bench_phase: string }> }) => {
      const nowUs = epochUs();
      for (const k of p.killmails) record(k.bench_phase, k.bench_at_us, nowUs);
    });
    ch.join()
      .receive('ok', () => {
        connectHist.recordUs(epochUs() - t0);
        resolve();
      })
      .receive('error', () => {
        errors++;
        resolve();
      });
  });
}

async function connectAll(cmd: Extract<LoadCommand, { type: 'connect' }>): Promise<void> {
  const t0 = Date.now();
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < cmd.clients.length) {
      const i = next++;
      const systems = cmd.clients[i] as number[];
      await (i < cmd.phoenix ? openPhoenix(cmd.url, systems) : openRaw(cmd.url, systems));
    }
  };
  await Promise.all(Array.from({ length: cmd.concurrency }, worker));
  // Heartbeats keep the raw clients inside the 60 s idle timeout (the phoenix ones send their own).
  setInterval(() => {
    for (const ws of raw) if (ws.readyState === WebSocket.OPEN) ws.send('[null,"hb","phoenix","heartbeat",{}]');
  }, 25_000).unref();
  process.send?.({ type: 'connected', wallMs: Date.now() - t0, hist: connectHist.encode(), errors, open: raw.length + phoenix.length });
}

process.on('message', (m) => {
  const cmd = m as LoadCommand;
  if (cmd.type === 'connect') void connectAll(cmd);
  else if (cmd.type === 'expect') {
    expected[cmd.phase] = cmd.count;
    if (received[cmd.phase] >= cmd.count) report(cmd.phase);
  } else if (cmd.type === 'report') report(cmd.phase);
  else if (cmd.type === 'cpu') {
    const cpu = process.cpuUsage();
    process.send?.({ type: 'cpu', cpuUs: cpu.user + cpu.system });
  } else if (cmd.type === 'close') {
    for (const ws of raw) ws.terminate();
    for (const s of phoenix) s.disconnect();
    process.exit(0);
  } else throw new Error(`unknown load command ${JSON.stringify(m)}`);
});
