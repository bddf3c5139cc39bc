// Test doubles for the feed tests: a loopback HTTP server that records every request, an
// in-memory CursorStore, and a sink that records entries. Waits poll a condition under a deadline.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { CursorStore, IngestSink, RawEntry } from '../../../src/core/ports.js';
import { Counters, silentLogger } from '../../../src/telemetry/index.js';

export interface RequestRecord {
  path: string;
  url: URL;
  atMs: number;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void;

export interface TestServer {
  url: string;
  requests: RequestRecord[];
  close(): Promise<void>;
}

export async function startServer(handler: Handler): Promise<TestServer> {
  const requests: RequestRecord[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push({ path: url.pathname, url, atMs: performance.now() });
    handler(req, res, url);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function sendJson(res: ServerResponse, status: number, body: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

/** A 200 that declares more bytes than it sends, then closes the socket. */
export function sendTruncated(res: ServerResponse, body: string): void {
  const head = `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body) + 100}\r\n\r\n`;
  res.socket?.end(head + body);
}

/** Drop the connection without an HTTP response. */
export function sendReset(res: ServerResponse): void {
  res.socket?.destroy();
}

export class MemoryCursors implements CursorStore {
  readonly values = new Map<string, string>();
  readonly writes: [string, string][] = [];

  getCursor(name: string): string | undefined {
    return this.values.get(name);
  }

  setCursor(name: string, value: string): void {
    this.values.set(name, value);
    this.writes.push([name, value]);
  }
}

export class RecordingSink implements IngestSink {
  readonly entries: RawEntry[] = [];
  pushCalls = 0;
  waitCalls = 0;
  /** While false, push() refuses and whenWritable() waits for open(). */
  writable = true;
  private waiters: (() => void)[] = [];

  push(entry: RawEntry): boolean {
    this.pushCalls++;
    if (!this.writable) return false;
    this.entries.push(entry);
    return true;
  }

  whenWritable(): Promise<void> {
    this.waitCalls++;
    if (this.writable) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  open(): void {
    this.writable = true;
    for (const w of this.waiters.splice(0)) w();
  }
}

/** Resolve once `check()` holds (checked every 5 ms); reject after `timeoutMs` naming `what`. */
export function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  if (check()) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const poll = setInterval(() => {
      if (!check()) return;
      cleanup();
      resolve();
    }, 5);
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      clearInterval(poll);
    };
  });
}

export function feedDeps(sink: RecordingSink, cursors: MemoryCursors = new MemoryCursors()) {
  return { sink, cursors, logger: silentLogger(), counters: new Counters() };
}

export function text(body: Uint8Array): string {
  return Buffer.from(body).toString('utf8');
}
