// HTTP hygiene against the real app (issue "smaller"): ambiguous framing is 400 and close, a
// 20-digit Content-Length is dropped at once, /status is computed once a second and shared,
// /health probes the disk for real, a read-only db path is a config error (exit 2), and
// /websocket advertises --public-url rather than the request's Host.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { defer, spawnCli, startApp, tempDir } from '../fixtures/ingest-harness.js';
import { PingProbe, rawExchange } from './abuse-support.js';

const BODY = '{"system_ids":[30000142]}';
const post = (headers: string, body = BODY): string =>
  `POST /api/v1/kills/systems HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n${headers}\r\n${body}`;

test('ambiguous framing → 400 bad_request and close; oversized lengths never hang', async (t) => {
  const app = await startApp(t, { source: 'none', db: ':memory:' }, { http: true });
  const port = app.port();
  const n = BODY.length;
  const cases: Array<[string, string, RegExp]> = [
    ['duplicate Content-Length', post(`Content-Length: ${n}\r\nContent-Length: ${n}\r\n`), /duplicate Content-Length headers/],
    ['conflicting Content-Length', post(`Content-Length: ${n}\r\nContent-Length: ${n + 5}\r\n`), /conflicting Content-Length headers/],
    ['duplicate Host', post(`Host: evil.example\r\nContent-Length: ${n}\r\n`), /duplicate Host headers/],
  ];
  for (const [name, data, reason] of cases) {
    const r = await rawExchange(port, data);
    assert.match(r.text, /^HTTP\/1\.1 400 /, name);
    assert.match(r.text, /"code":"bad_request"/, name);
    assert.match(r.text, reason, name);
    assert.ok(r.closed, `${name}: connection closed`);
  }
  assert.equal(app.counters.get('http.rejected.framing'), 3);
  // A Content-Length uWS cannot parse (20 digits) is dropped at once by uWS (no status: see
  // docs/OPERATIONS.md); a large one it can parse is a 413 in the envelope.
  const huge = await rawExchange(port, post('Content-Length: 99999999999999999999\r\n'));
  assert.ok(huge.closed && huge.ms < 1000, `20-digit length: closed ${huge.closed} after ${huge.ms} ms`);
  const big = await rawExchange(port, post('Content-Length: 999999999\r\n'));
  assert.match(big.text, /^HTTP\/1\.1 413 /);
  assert.match(big.text, /"code":"payload_too_large"/);
  assert.equal((await fetch(`http://127.0.0.1:${port}/ping`)).status, 200);
});

test('/status is computed at most once a second and shared by its callers', async (t) => {
  const app = await startApp(t, { source: 'none', db: ':memory:' }, { http: true });
  const base = `http://127.0.0.1:${app.port()}`;
  const bodies = await Promise.all(Array.from({ length: 20 }, async () => (await fetch(`${base}/status`)).text()));
  assert.ok(new Set(bodies).size <= 2, `${new Set(bodies).size} distinct /status bodies within a second`);
  await new Promise((r) => setTimeout(r, 1100));
  assert.notEqual(await (await fetch(`${base}/status`)).text(), bodies[0]);
});

test('50 clients polling /status back to back: /ping (another process) stays within 1 s', async (t) => {
  const app = await startApp(t, { source: 'none', db: ':memory:' }, { http: true });
  const base = `http://127.0.0.1:${app.port()}`;
  const probe = new PingProbe(base);
  await probe.ready();
  const until = Date.now() + 3000;
  let polls = 0;
  await Promise.all(
    Array.from({ length: 50 }, async () => {
      while (Date.now() < until) {
        await (await fetch(`${base}/status`)).arrayBuffer();
        polls++;
      }
    }),
  );
  const ping = await probe.stop();
  t.diagnostic(`${polls} /status answers in 3 s; /ping max ${ping.maxMs} ms, p50 ${ping.p50Ms} ms`);
  assert.equal(ping.failures, 0);
  assert.ok(ping.maxMs < 1000, `/ping max ${ping.maxMs} ms`);
});

test('/websocket advertises --public-url, not the request Host', async (t) => {
  const app = await startApp(t, { source: 'none', db: ':memory:', publicUrl: 'https://kills.example.com/' }, { http: true });
  const r = await rawExchange(app.port(), 'GET /websocket HTTP/1.1\r\nHost: evil.example\r\nConnection: close\r\n\r\n');
  assert.match(r.text, /"websocket_url":"wss:\/\/kills\.example\.com\/socket"/);
  assert.doesNotMatch(r.text, /evil/);
});

/** A tmpfs of `sizeKiB` at a fresh folder (root only); undefined when mounting is not allowed. */
function tmpfs(t: import('node:test').TestContext, sizeKiB: number, readOnly = false): string | undefined {
  const dir = join(tempDir(t), 'mnt');
  mkdirSync(dir);
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKiB}k${readOnly ? ',ro' : ''}`, 'tmpfs', dir], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  defer(t, () => execFileSync('umount', ['-l', dir], { stdio: 'ignore' }));
  return dir;
}

test('/health probes the disk: a full filesystem is unhealthy, freed space healthy again', async (t) => {
  const dir = tmpfs(t, 4096);
  if (!dir) return t.skip('needs root to mount a tmpfs');
  const app = await startApp(t, { source: 'none', db: join(dir, 'wk.db') }, { http: true });
  const base = `http://127.0.0.1:${app.port()}`;
  assert.equal((await fetch(`${base}/health`)).status, 200);
  const filler = join(dir, 'filler');
  try {
    writeFileSync(filler, Buffer.alloc(8 * 1024 * 1024));
  } catch {
    // ENOSPC: the filesystem is now full, which is the point.
  }
  // The probe runs at most every 5 s.
  await new Promise((r) => setTimeout(r, 5200));
  const full = await fetch(`${base}/health`);
  const body = (await full.json()) as { components: { database: { healthy: boolean; message: string } } };
  assert.equal(full.status, 503);
  assert.match(body.components.database.message, /^not writable: ENOSPC/);
  rmSync(filler);
  await new Promise((r) => setTimeout(r, 5200));
  assert.equal((await fetch(`${base}/health`)).status, 200);
});

test('a database path on a read-only filesystem is a configuration error: exit 2, no stack', async (t) => {
  const dir = tmpfs(t, 1024, true);
  if (!dir) return t.skip('needs root to mount a tmpfs');
  const child = spawnCli(t, ['serve', '--source', 'none', '--port', '0', '--db', join(dir, 'data', 'wk.db')]);
  const r = await child.exited;
  assert.equal(r.code, 2, child.stderr());
  assert.match(child.stderr(), /invalid configuration:\n {2}- db: cannot open .*wk\.db for writing/);
  assert.doesNotMatch(child.stderr(), /\n\s+at /);
});
