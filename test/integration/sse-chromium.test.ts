// SSE from headless Chromium's own EventSource in a page (playwright-core driving Debian's
// chromium): the enhanced stream's preload → transition → live, and the browser's automatic
// reconnect with Last-Event-ID after the connection drops (through a proxy we cut), with
// nothing missed and nothing twice. Skips with the reason when no browser is installed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { App } from '../../src/app.js';
import { Collector, cuttableProxy, publish, sleep, startSimApp, waitFor } from './sse-support.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
const skip = existsSync(CHROMIUM) ? false : `no browser at ${CHROMIUM} (install Debian's chromium or set CHROMIUM_PATH)`;
if (skip) console.log(`# sse-chromium skipped: ${skip}`);

let app: App;
let browser: Browser;

before(async () => {
  if (skip) return;
  app = await startSimApp();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
});
after(async () => {
  await browser?.close();
  await app?.stop();
});

interface PageEvent {
  type: string;
  id: string;
  data: string;
}

/** Open a page on `origin` whose EventSource records every event we emit into window.events. */
async function openInPage(origin: string, path: string): Promise<Page> {
  const page = await browser.newPage();
  await page.goto(`${origin}/ping`);
  await page.evaluate((p) => {
    const w = globalThis as unknown as { events: PageEvent[]; opens: number };
    w.events = [];
    w.opens = 0;
    const es = new EventSource(p);
    es.onopen = () => w.opens++;
    for (const type of ['connected', 'batch', 'transition', 'killmail', 'heartbeat']) {
      es.addEventListener(type, (e) =>
        w.events.push({ type, id: (e as MessageEvent).lastEventId, data: (e as MessageEvent).data as string }),
      );
    }
  }, path);
  return page;
}

async function events(page: Page): Promise<PageEvent[]> {
  return page.evaluate(() => (globalThis as unknown as { events: PageEvent[] }).events);
}

function killIds(evs: PageEvent[]): number[] {
  return evs.filter((e) => e.type === 'killmail').map((e) => (JSON.parse(e.data) as { killmail_id: number }).killmail_id);
}

test('Chromium EventSource: connected, preload batches, transition, then live kills', { skip }, async () => {
  const base = `http://127.0.0.1:${app.port()}`;
  await publish(app, 15);
  const page = await openInPage(base, '/api/v1/kills/stream/enhanced?preload_days=1');
  let evs: PageEvent[] = [];
  for (let i = 0; i < 100 && !evs.some((e) => e.type === 'transition'); i++) {
    evs = await events(page);
    await sleep(100);
  }
  assert.equal(evs[0]?.type, 'connected');
  const preloaded = evs
    .filter((e) => e.type === 'batch')
    .flatMap((e) => (JSON.parse(e.data) as { kills: { killmail_id: number }[] }).kills.map((k) => k.killmail_id));
  assert.ok(preloaded.length >= 15, `preloaded ${preloaded.length}`);
  const reference = new Collector(`${base}/api/v1/kills/stream`);
  await reference.opened();
  await publish(app, 10);
  await waitFor(() => reference.kills().length >= 10, 20_000, 'reference');
  await sleep(300);
  evs = await events(page);
  const types = evs.map((e) => e.type);
  assert.ok(types.indexOf('transition') > types.lastIndexOf('batch'));
  assert.deepEqual(killIds(evs), reference.killIds());
  reference.close();
  await page.close();
});

test("Chromium EventSource: the browser's own reconnect sends Last-Event-ID; nothing missed, nothing twice", { skip }, async () => {
  const base = `http://127.0.0.1:${app.port()}`;
  const proxy = await cuttableProxy(app.port());
  const reference = new Collector(`${base}/api/v1/kills/stream`);
  await reference.opened();
  const page = await openInPage(`http://127.0.0.1:${proxy.port}`, '/api/v1/kills/stream');
  for (let i = 0; i < 50 && (await page.evaluate(() => (globalThis as unknown as { opens: number }).opens)) < 1; i++) await sleep(100);
  await publish(app, 10);
  for (let i = 0; i < 100 && killIds(await events(page)).length < 10; i++) await sleep(100);
  proxy.cut();
  await sleep(100);
  await publish(app, 12); // while the browser is disconnected (it waits retry: 2000)
  for (let i = 0; i < 150 && killIds(await events(page)).length < 22; i++) await sleep(100);
  await publish(app, 5);
  await waitFor(() => reference.kills().length >= 27, 20_000, 'reference');
  for (let i = 0; i < 100 && killIds(await events(page)).length < 27; i++) await sleep(100);
  await sleep(300);
  assert.ok((await page.evaluate(() => (globalThis as unknown as { opens: number }).opens)) >= 2, 'the browser reconnected');
  assert.deepEqual(killIds(await events(page)), reference.killIds());
  reference.close();
  proxy.close();
  await page.close();
});
