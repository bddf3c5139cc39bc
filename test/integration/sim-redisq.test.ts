// RedisQ long-poll behaviour of the simulator over real HTTP.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createSimulator, type SimOptions, type Simulator } from '../../src/sim/index.js';

async function startSim(t: { after(fn: () => Promise<void>): void }, opts: SimOptions = {}) {
  const sim = createSimulator({ seed: 21, ...opts });
  const { url } = await sim.start();
  t.after(() => sim.stop());
  return { sim, url };
}

type Pkg = { killID: number; killmail?: { killmail_id: number }; zkb: { hash: string; href: string } } | null;

async function listen(url: string, queue: string, ttw = 10): Promise<Pkg> {
  const r = await fetch(`${url}/listen.php?queueID=${queue}&ttw=${ttw}`); // follows the 302
  assert.equal(r.status, 200);
  assert.match(r.url, /\/object\.php\?objectID=/);
  return ((await r.json()) as { package: Pkg }).package;
}

/** Resolves once the server holds `n` listen requests (deadline 5 s). */
async function held(sim: Simulator, n = 1): Promise<void> {
  const deadline = Date.now() + 5000;
  while (sim.stats().redisqHeld < n) {
    if (Date.now() > deadline) throw new Error('listen request was never held');
    await new Promise((r) => setImmediate(r));
  }
}

test('listen.php answers 302 to object.php; null after ttw; a held request wakes on publish', async (t) => {
  const { sim, url } = await startSim(t, { redisqShape: 'inline' });
  const manual = await fetch(`${url}/listen.php?queueID=q1&ttw=1`, { redirect: 'manual' });
  assert.equal(manual.status, 302);
  assert.equal(manual.headers.get('location'), '/object.php?objectID=null');
  assert.deepEqual(await (await fetch(`${url}/object.php?objectID=null`)).json(), { package: null });
  const pending = listen(url, 'q1');
  await held(sim);
  const t0 = Date.now();
  sim.publish(1);
  const pkg = await pending;
  assert.ok(Date.now() - t0 < 2000, 'answered at publish, not at ttw');
  assert.ok(pkg);
  assert.equal(pkg.killmail?.killmail_id, pkg.killID);
  assert.equal(pkg.zkb.href, `${url}/killmails/${pkg.killID}/${pkg.zkb.hash}/`);
});

test('a queue opened before publishing sees each entry exactly once, in order', async (t) => {
  const { sim, url } = await startSim(t, { redisqShape: 'short' });
  const first = listen(url, 'stable-q'); // first sight: the queue starts at the tip
  await held(sim);
  sim.publish(5);
  sim.republish(sim.lastSequence); // republished entries are not re-queued
  const ids: number[] = [];
  const p = await first;
  if (p) ids.push(p.killID);
  while (ids.length < 5) {
    const next = await listen(url, 'stable-q', 1);
    assert.ok(next, `entry ${ids.length + 1} missing`);
    assert.equal(next.killmail, undefined, 'short shape');
    ids.push(next.killID);
  }
  assert.equal(new Set(ids).size, 5);
  assert.deepEqual(
    ids,
    [...ids].sort((a, b) => a - b),
  );
  assert.equal(await listen(url, 'stable-q', 1), null);
  // Short packages are completed from the sim's own ESI with zkb.hash.
  const zkb = ((await (await fetch(`${url}/api/killID/${ids[0]}/`)).json()) as { zkb: { hash: string } }[])[0]!.zkb;
  assert.equal((await fetch(`${url}/killmails/${ids[0]}/${zkb.hash}/`)).status, 200);
});

test('a second concurrent request on one queue gets 429; a missing queueID gets 429', async (t) => {
  const { sim, url } = await startSim(t);
  const first = fetch(`${url}/listen.php?queueID=busy&ttw=10`, { redirect: 'manual' });
  await held(sim);
  assert.equal((await fetch(`${url}/listen.php?queueID=busy&ttw=1`, { redirect: 'manual' })).status, 429);
  assert.equal((await fetch(`${url}/listen.php?ttw=1`)).status, 429);
  sim.publish(1);
  const r = await first;
  assert.equal(r.status, 302);
  assert.notEqual(r.headers.get('location'), '/object.php?objectID=null');
  assert.equal((await fetch(`${url}/object.php?objectID=deadbeef`)).status, 404);
});

test('mixed shape serves inline packages for even ids and short ones for odd ids', async (t) => {
  const { sim, url } = await startSim(t, { redisqShape: 'mixed' });
  const first = listen(url, 'mix');
  await held(sim);
  sim.publish(6);
  const pkgs = [await first];
  for (let i = 0; i < 5; i++) pkgs.push(await listen(url, 'mix', 1));
  for (const p of pkgs) {
    assert.ok(p);
    assert.equal(p.killmail !== undefined, p.killID % 2 === 0);
  }
  assert.equal(new Set(pkgs.map((p) => p?.killmail !== undefined)).size, 2);
});
