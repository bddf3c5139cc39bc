// Where backfilled kills come from: local files (plain, gzip, bzip2; a folder of them) and
// zKillboard's day files over HTTP (`/history/raw/YYYYMMDD.json`, else `/history/YYYYMMDD.json`
// whose id → hash entries the workers fetch from ESI). Every source is a byte stream read in
// chunks: nothing is held whole in memory.
import { createReadStream } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import unbzip2 from 'unbzip2-stream';
import { WkError } from '../core/errors.js';
import { parseRetryAfterMs } from '../net/index.js';

/** How an entry's bytes become a pipeline entry: pushed as is, or an id → hash to fetch from ESI. */
export type EntryKind = 'mail' | 'hash';

export interface OpenedUnit {
  kind: EntryKind;
  chunks: AsyncIterable<Buffer>;
  /** Bytes of the source read so far (compressed bytes for a compressed file): progress and ETA. */
  bytesRead?: () => number;
}

/** A failed open: `missing` (404: not published), `blocked` (403/429), `error` (5xx, network). */
export class UnitUnavailable extends Error {
  constructor(
    readonly reason: 'missing' | 'blocked' | 'error',
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

export interface BackfillUnit {
  /** Progress key of the unit inside its job (a day `YYYYMMDD`, a file path). */
  readonly name: string;
  /** Fetched over the network: failures are retried (a local file reads the same way twice). */
  readonly remote?: boolean;
  /** Size in bytes when known before reading (local files). */
  readonly size?: number;
  open(signal: AbortSignal): Promise<OpenedUnit>;
}

const CHUNK = 1024 * 1024;

/** A local file as a stream of decompressed bytes, gzip and bzip2 told apart by their magic bytes. */
export async function openFile(path: string): Promise<AsyncIterable<Buffer>> {
  return (await openFileCounted(path)).chunks;
}

async function openFileCounted(path: string): Promise<{ chunks: AsyncIterable<Buffer>; bytesRead: () => number }> {
  const fh = await open(path, 'r');
  const magic = Buffer.alloc(3);
  try {
    await fh.read(magic, 0, 3, 0);
  } finally {
    await fh.close();
  }
  const raw = createReadStream(path, { highWaterMark: CHUNK });
  const bytesRead = (): number => raw.bytesRead;
  if (magic[0] === 0x1f && magic[1] === 0x8b) return { chunks: chain(raw, createGunzip({ chunkSize: 256 * 1024 })), bytesRead };
  if (magic.toString('latin1') === 'BZh') return { chunks: chain(raw, unbzip2() as NodeJS.ReadWriteStream), bytesRead };
  return { chunks: raw, bytesRead };
}

/**
 * raw → decompressor → a PassThrough to iterate (unbzip2-stream is a classic stream, not
 * async-iterable). `pipe` does not forward errors: a read or decompression error is passed on
 * by hand, so the reader sees it instead of waiting forever.
 */
function chain(raw: NodeJS.ReadableStream, decompress: NodeJS.ReadWriteStream): AsyncIterable<Buffer> {
  const out = new PassThrough({ highWaterMark: CHUNK });
  const fail = (err: Error): void => void out.destroy(err);
  raw.on('error', fail);
  decompress.on('error', fail);
  raw.pipe(decompress).pipe(out);
  return out;
}

/** Units for `--file PATH`: the file, or every file of the folder (recursively, in name order). */
export async function fileUnits(path: string): Promise<BackfillUnit[]> {
  const abs = resolve(path);
  let info;
  try {
    info = await stat(abs);
  } catch (err) {
    throw new WkError('ERR_CONFIG_INVALID', `invalid configuration:\n  - --file: cannot read ${abs}: ${(err as Error).message}`);
  }
  const files = info.isDirectory() ? await listFiles(abs) : [abs];
  const sizes = await Promise.all(files.map(async (f) => (await stat(f)).size));
  return files.map((file, i) => ({
    name: file,
    size: sizes[i] ?? 0,
    open: async () => ({ kind: 'mail' as const, ...(await openFileCounted(file)) }),
  }));
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.')) continue;
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** UTC days from `from` to `to` inclusive, as YYYYMMDD. */
export function daysBetween(fromMs: number, toMs: number): string[] {
  const out: string[] = [];
  const DAY = 86_400_000;
  for (let t = Math.floor(fromMs / DAY) * DAY; t <= toMs; t += DAY) out.push(new Date(t).toISOString().slice(0, 10).replace(/-/g, ''));
  return out;
}

export interface HistoryHttp {
  baseUrl: string;
  userAgent: string;
  timeoutMs?: number;
}

/** One day of zKillboard history: the raw mails when served, else id → hash plus ESI. */
export function historyDayUnit(day: string, http: HistoryHttp): BackfillUnit {
  const base = http.baseUrl.replace(/\/+$/, '');
  return {
    name: day,
    remote: true,
    async open(signal) {
      try {
        return { kind: 'mail', chunks: await get(`${base}/history/raw/${day}.json`, http, signal) };
      } catch (err) {
        if (!(err instanceof UnitUnavailable) || err.reason !== 'missing') throw err;
      }
      return { kind: 'hash', chunks: await get(`${base}/history/${day}.json`, http, signal) };
    },
  };
}

async function get(url: string, http: HistoryHttp, signal: AbortSignal): Promise<AsyncIterable<Buffer>> {
  // The timeout covers the answer's headers; the body then streams for as long as it takes.
  const ac = new AbortController();
  const onAbort = (): void => ac.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  const timer = setTimeout(() => ac.abort(), http.timeoutMs ?? 30_000);
  let res: Response;
  try {
    res = await fetch(url, { headers: { 'user-agent': http.userAgent, 'accept-encoding': 'gzip' }, signal: ac.signal, redirect: 'follow' });
  } catch (err) {
    signal.removeEventListener('abort', onAbort);
    throw new UnitUnavailable('error', `${url}: ${(err as Error).message}`);
  } finally {
    clearTimeout(timer);
  }
  if (res.status === 200 && res.body) {
    const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>, { highWaterMark: CHUNK });
    body.once('close', () => signal.removeEventListener('abort', onAbort));
    return body;
  }
  signal.removeEventListener('abort', onAbort);
  await res.body?.cancel();
  const msg = `${url}: HTTP ${res.status}`;
  if (res.status === 404) throw new UnitUnavailable('missing', msg);
  if (res.status === 403 || res.status === 429 || res.status === 420) {
    throw new UnitUnavailable('blocked', msg, parseRetryAfterMs(res.headers.get('retry-after'), Date.now()));
  }
  throw new UnitUnavailable('error', msg);
}
