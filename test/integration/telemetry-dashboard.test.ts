// The dashboard at `/` in headless Chromium against a simulator-fed service: the charts fill
// with real figures (axes, units) and the latest kills arrive over the page's own Phoenix
// WebSocket client. WK_DASHBOARD_SCREENSHOT=docs/dashboard.png saves the screenshot the README shows.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { defer, startApp, tempDir } from '../fixtures/ingest-harness.js';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

test('the dashboard draws live charts and the latest kills from a simulator-fed service', async (t) => {
  if (!existsSync(CHROMIUM)) return t.skip(`${CHROMIUM} not installed (scripts/install-system-deps.sh installs chromium)`);
  const app = await startApp(t, { source: 'sim', simRate: 4, enrich: true, db: join(tempDir(t), 'kills.db'), workers: 1 }, { http: true });
  const base = `http://127.0.0.1:${app.port()}`;
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  defer(t, () => browser.close());
  const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${base}/`);
  // Kills over the WebSocket (firehose join), then two 5-second windows for every chart.
  await page.waitForSelector('#kills tr.kill:nth-child(3)', { timeout: 60_000 });
  // (Expressions as text: they run in the page, and the tests compile without the DOM types.)
  await page.waitForFunction("Number(document.getElementById('g-kills').dataset.points || 0) >= 2", undefined, { timeout: 60_000 });
  for (let i = 0; i < 5; i++) await (await fetch(`${base}/ping`)).arrayBuffer();
  await page.waitForFunction("Number(document.getElementById('v-api').textContent) > 0", undefined, { timeout: 30_000 });

  assert.equal(await page.textContent('#socket'), 'live feed: joined');
  assert.match((await page.textContent('#health')) ?? '', /^(healthy|degraded)$/);
  const kills = await page.$$eval('#kills tr.kill', (rows) => rows.map((r) => [...r.children].map((c) => c.textContent ?? '')));
  assert.ok(kills.length >= 3);
  for (const [time, system, ship, value] of kills) {
    assert.match(time ?? '', /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    assert.ok((system ?? '').length > 0 && !/^system \d/.test(system ?? ''), `system name resolved: ${system}`);
    assert.ok((ship ?? '').length > 0, 'ship');
    assert.match(value ?? '', /^[\d.]+( [kMB])?$/);
  }
  const killsPerMin = Number(await page.textContent('#v-kills'));
  assert.ok(killsPerMin > 0, `kills/min ${killsPerMin}`);
  for (const id of ['kills', 'broadcast', 'connections', 'api', 'errors', 'cache', 'memory', 'lag']) {
    const svg = await page.$eval(`#g-${id}`, (g) => ({
      lines: g.querySelectorAll('polyline').length,
      texts: [...g.querySelectorAll('text')].map((x) => x.textContent ?? ''),
    }));
    assert.ok(svg.lines >= 1, `${id}: a line`);
    assert.ok(svg.texts.some((x) => /time \(UTC\)/.test(x)) && svg.texts.some((x) => /^\d\d:\d\d:\d\d$/.test(x)), `${id}: a time axis`);
  }
  assert.ok(Number(await page.textContent('#v-memory')) > 0, 'memory figure');
  assert.ok(Number(await page.textContent('#v-connections')) >= 0);
  assert.equal(await page.$eval('#g-connections', (g) => g.querySelectorAll('polyline').length), 4, 'WebSocket, lobby, firehose, SSE');
  assert.deepEqual(errors, []);
  const shot = process.env.WK_DASHBOARD_SCREENSHOT;
  if (shot) {
    // A minute of history makes a screenshot worth looking at.
    await page.waitForFunction("Number(document.getElementById('g-kills').dataset.points || 0) >= 12", undefined, { timeout: 90_000 });
    await page.screenshot({ path: shot, fullPage: true });
  }
});
