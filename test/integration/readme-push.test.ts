// The README's SSE and webhook examples, copied out of README.md and run as written (only the
// ports changed) against a real server fed by the simulator.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { join, resolve } from 'node:path';
import type { App } from '../../src/app.js';
import { publish, sleep, startSimApp, waitFor } from './sse-support.js';

const REPO = resolve(import.meta.dirname, '../..');
const README = readFileSync(join(REPO, 'README.md'), 'utf8');

/** The n-th fenced block of `lang` after the heading `### title`. */
function block(title: string, lang: string, n = 0): string {
  const section = README.slice(README.indexOf(`### ${title}\n`));
  const blocks = [...section.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))];
  const code = blocks[n]?.[1];
  assert.ok(code, `README ### ${title} has ${lang} block #${n}`);
  return code;
}

function freePort(): Promise<number> {
  return new Promise((r) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => r(port));
    });
  });
}

function runModule(code: string): { out: () => string; stop: () => void } {
  const child = spawn(process.execPath, ['--input-type=module', '-e', code], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  return { out: () => out, stop: () => child.kill() };
}

let app: App;

before(async () => {
  app = await startSimApp({ allowPrivateWebhooks: true, webhookBatchMs: 200 });
});
after(async () => {
  await app.stop();
});

test('README SSE example prints the preload and live kills', async () => {
  await publish(app, 5);
  const code = block('Server-Sent Events', 'js').replaceAll('localhost:4004', `127.0.0.1:${app.port()}`);
  const child = runModule(code);
  try {
    await waitFor(() => child.out().includes('live from here'), 20_000, `the example's transition (output: ${child.out()})`);
    assert.match(child.out(), /preload batch of \d+/);
    const before = child.out().length;
    await publish(app, 5);
    await waitFor(() => /kill \d+ in \d+ worth/.test(child.out().slice(before)), 20_000, `a live kill line (output: ${child.out()})`);
  } finally {
    child.stop();
  }
});

test('README webhook receiver and curl subscription: signed deliveries verified by the receiver', async () => {
  const port = await freePort();
  const receiver = runModule(block('Webhooks', 'js').replace('.listen(8080', `.listen(${port}`));
  try {
    await sleep(300);
    const curl = block('Webhooks', 'sh')
      .replaceAll('localhost:4004', `127.0.0.1:${app.port()}`)
      .replace('127.0.0.1:8080', `127.0.0.1:${port}`);
    const created = await new Promise<string>((res, rej) =>
      execFile('sh', ['-c', curl], { env: { PATH: process.env.PATH ?? '', WK_API_TOKEN: '' } }, (err, stdout) =>
        err ? rej(new Error(err.message)) : res(stdout),
      ),
    );
    assert.match(created, /"message":"Subscription created successfully"/);
    for (let i = 0; i < 20 && !receiver.out().includes('verified'); i++) {
      await publish(app, 20); // until some kills land in Jita or Amarr
      await sleep(500);
    }
    assert.match(receiver.out(), /verified (30000142|30002187) \d+/);
  } finally {
    receiver.stop();
  }
});
