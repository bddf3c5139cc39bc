// Feed process of the soak bench (bench/soak/run.ts): makes the R2Z2 entries and streams them
// to the server process over a Unix socket, so the generator and its templates (~50 MB of heap)
// are not counted in the server's RSS. Entries are made from a pool of generated kills: each
// copies a template and rewrites, in place and at fixed width, its killmail id and kill time, so
// a million distinct kills need no million generated objects. Kill times are spread over the
// last --spread-hours, so retention keeps deleting. Frames: u32 big-endian length, then the
// entry. The socket's back-pressure is the pipeline's (serve.ts pauses reading while it is full).
// IPC in: {type:'feed', path, kills, rate, spreadHours, pool}, {type:'halt'}. Out: {type:'sent', pushed}.
import { connect } from 'node:net';
import { MS_PER_HOUR } from '../../src/core/clock.js';
import { generateKill } from '../../src/sim/index.js';

interface FeedOptions {
  path: string;
  kills: number;
  rate: number;
  spreadHours: number;
  pool: number;
}

const TEMPLATE_FIRST_ID = 130_000_000;
const FIRST_ID = 200_000_000; // same width (9 digits) as the templates' ids

interface Template {
  bytes: Buffer;
  idAt: number[];
  timeAt: number;
}

function templates(n: number): Template[] {
  const now = Date.now();
  return Array.from({ length: n }, (_, i) => {
    const k = generateKill(i, { seed: 5, esiBaseUrl: 'http://127.0.0.1' }, now);
    const text = JSON.stringify({
      killmail_id: k.killmail_id,
      hash: k.hash,
      esi: k.esi,
      zkb: k.zkb,
      uploaded_at: Math.floor(now / 1000),
      sequence_id: i,
    });
    const id = String(TEMPLATE_FIRST_ID + i);
    const idAt: number[] = [];
    for (let at = text.indexOf(id); at >= 0; at = text.indexOf(id, at + 1)) idAt.push(at);
    return { bytes: Buffer.from(text, 'latin1'), idAt, timeAt: text.indexOf('"killmail_time":"') + 17 };
  });
}

/** Writes the entry as a frame at `out[at]`: length prefix, then the template with its id and kill time rewritten. */
function writeFrame(out: Buffer, at: number, t: Template, killmailId: number, killTimeMs: number): number {
  out.writeUInt32BE(t.bytes.length, at);
  t.bytes.copy(out, at + 4);
  const id = String(killmailId);
  for (const idAt of t.idAt) out.write(id, at + 4 + idAt, 'latin1');
  out.write(new Date(Math.floor(killTimeMs / 1000) * 1000).toISOString().replace('.000Z', 'Z'), at + 4 + t.timeAt, 'latin1');
  return at + 4 + t.bytes.length;
}

// Frames go out in writes of up to this many bytes (one write per entry would be one syscall each).
const WRITE_BYTES = 256 * 1024;

async function run(o: FeedOptions): Promise<void> {
  const pool = templates(o.pool);
  const socket = connect(o.path);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let halted = false;
  process.on('message', (m) => {
    if ((m as { type: string }).type === 'halt') halted = true;
  });
  const spreadMs = o.spreadHours * MS_PER_HOUR;
  const t0 = performance.now();
  let pushed = 0;
  const size = Math.max(WRITE_BYTES, ...pool.map((t) => 4 + t.bytes.length));
  let out = Buffer.allocUnsafe(size);
  let at = 0;
  const flush = async (): Promise<void> => {
    const full = !socket.write(out.subarray(0, at));
    out = Buffer.allocUnsafe(size); // the written one belongs to the socket until it is sent
    at = 0;
    if (full) await new Promise((r) => socket.once('drain', r));
  };
  for (let i = 0; i < o.kills && !halted; i++) {
    while (o.rate > 0 && performance.now() - t0 < (i * 1000) / o.rate) {
      if (at > 0) await flush(); // paced: each entry leaves when it is due
      await new Promise((r) => setTimeout(r, 1));
    }
    const t = pool[i % pool.length]!;
    if (at + 4 + t.bytes.length > out.length) await flush();
    // Spread evenly but interleaved: consecutive kills are far apart in time (a golden-ratio walk).
    at = writeFrame(out, at, t, FIRST_ID + i, Date.now() - ((i * 0.6180339887) % 1) * spreadMs);
    pushed++;
  }
  if (at > 0) await flush();
  await new Promise<void>((resolve) => socket.end(resolve));
  process.send?.({ type: 'sent', pushed });
}

process.once('message', (m) => {
  void run(m as FeedOptions & { type: 'feed' }).catch((err: unknown) => {
    process.stderr.write(`soak feed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  });
});
