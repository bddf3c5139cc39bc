// Every fault kind of the simulator, observed from a real HTTP client.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { test } from 'node:test';
import { createSimulator, type FaultSpec } from '../../src/sim/index.js';

async function startSim(t: { after(fn: () => Promise<void>): void }, faults: FaultSpec[] = []) {
  const sim = createSimulator({ seed: 41, startSequence: 1, faults });
  const { url } = await sim.start();
  t.after(() => sim.stop());
  sim.publish(2);
  return { sim, url };
}

test('latency delays the answer; faults on other routes do not apply', async (t) => {
  const { url } = await startSim(t, [
    { route: 'r2z2', kind: 'latency', latencyMs: 300 },
    { route: 'esi', kind: 'status', status: 500 },
  ]);
  const t0 = performance.now();
  const r = await fetch(`${url}/ephemeral/1.json`);
  assert.equal(r.status, 200);
  await r.arrayBuffer();
  assert.ok(performance.now() - t0 >= 290, 'latency applied');
  assert.equal((await fetch(`${url}/api/killID/1/`)).status, 200, 'zkb route untouched');
});

test('status faults: 5xx, 429 with Retry-After, 403; one-shot counts', async (t) => {
  const { sim, url } = await startSim(t, [
    { route: 'r2z2', kind: 'status', status: 429, retryAfterSeconds: 7, count: 1 },
    { route: 'r2z2', kind: 'status', status: 403, count: 1 },
    { route: 'r2z2', kind: 'status', status: 503, count: 1 },
  ]);
  const a = await fetch(`${url}/ephemeral/1.json`);
  assert.equal(a.status, 429);
  assert.equal(a.headers.get('retry-after'), '7');
  assert.equal((await fetch(`${url}/ephemeral/1.json`)).status, 403);
  assert.equal((await fetch(`${url}/ephemeral/1.json`)).status, 503);
  assert.equal((await fetch(`${url}/ephemeral/1.json`)).status, 200);
  assert.equal(sim.stats().faultsApplied.status, 3);
});

test('injected ESI errors spend the error limit like real ones', async (t) => {
  const { url } = await startSim(t, [{ route: 'esi', kind: 'status', status: 502, count: 1 }]);
  const r = await fetch(`${url}/universe/types/670/`);
  assert.equal(r.status, 502);
  assert.equal(r.headers.get('x-esi-error-limit-remain'), '99');
});

test('truncate sends half the body and cuts the connection; the entry stays available', async (t) => {
  const { url } = await startSim(t, [{ route: 'r2z2', kind: 'truncate', count: 1 }]);
  const r = await fetch(`${url}/ephemeral/2.json`);
  assert.equal(r.status, 200);
  await assert.rejects(r.text());
  const good = await fetch(`${url}/ephemeral/2.json`);
  assert.equal(((await good.json()) as { sequence_id: number }).sequence_id, 2);
});

test('malformed answers 200 with broken JSON once; a retry gets the good entry', async (t) => {
  const { url } = await startSim(t, [{ route: 'r2z2', kind: 'malformed', count: 1 }]);
  const r = await fetch(`${url}/ephemeral/1.json`);
  assert.equal(r.status, 200);
  const text = await r.text();
  assert.throws(() => JSON.parse(text), SyntaxError);
  assert.equal(((await (await fetch(`${url}/ephemeral/1.json`)).json()) as { sequence_id: number }).sequence_id, 1);
});

test('drip writes the whole body slowly, in several chunks', async (t) => {
  const { url } = await startSim(t, [{ route: 'zkb', kind: 'drip', latencyMs: 400 }]);
  const chunks = await new Promise<{ n: number; body: string; ms: number }>((resolve, reject) => {
    const t0 = performance.now();
    request(`${url}/api/killID/130000000/`, (res) => {
      let n = 0;
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => ((n += 1), (body += c)));
      res.on('end', () => resolve({ n, body, ms: performance.now() - t0 }));
      res.on('error', reject);
    })
      .on('error', reject)
      .end();
  });
  assert.ok(chunks.n >= 5, `${chunks.n} chunks`);
  assert.ok(chunks.ms >= 350, `${chunks.ms} ms`);
  assert.equal((JSON.parse(chunks.body) as unknown[]).length, 1);
});

test('reset destroys the socket; probability 0 never fires', async (t) => {
  const { sim, url } = await startSim(t, [
    { route: 'redisq', kind: 'reset', count: 1 },
    { route: 'any', kind: 'status', status: 500, probability: 0 },
  ]);
  await assert.rejects(fetch(`${url}/listen.php?queueID=r&ttw=1`));
  assert.equal((await fetch(`${url}/ephemeral/1.json`)).status, 200);
  assert.equal(sim.stats().faultsApplied.reset, 1);
  assert.equal(sim.stats().faultsApplied.status, 0);
  // Faults can be replaced at run time.
  sim.setFaults([{ route: 'any', kind: 'status', status: 500 }]);
  assert.equal((await fetch(`${url}/ephemeral/1.json`)).status, 500);
  sim.setFaults([]);
  assert.equal((await fetch(`${url}/ephemeral/1.json`)).status, 200);
});

test('redirect answers a redirect to the same URL; a client that follows it gets the answer', async (t) => {
  const { sim, url } = await startSim(t, [
    { route: 'r2z2', kind: 'redirect', count: 1 },
    { route: 'esi', kind: 'status', status: 429, count: 1 },
  ]);
  const followed = await fetch(`${url}/ephemeral/1.json`);
  assert.equal(followed.status, 200);
  assert.equal(followed.redirected, true);
  sim.setFaults([{ route: 'r2z2', kind: 'redirect', status: 302 }]);
  const manual = await fetch(`${url}/ephemeral/sequence.json`, { redirect: 'manual' });
  assert.equal(manual.status, 302);
  assert.equal(manual.headers.get('location'), '/ephemeral/sequence.json');
  await assert.rejects(fetch(`${url}/ephemeral/sequence.json`), 'an endless redirect loop fails the client');
  sim.setFaults([{ route: 'esi', kind: 'status', status: 429 }]);
  const limited = await fetch(`${url}/universe/types/670/`);
  assert.equal(limited.status, 429);
  assert.equal(limited.headers.get('retry-after'), '1', 'a 429 always carries Retry-After');
});
