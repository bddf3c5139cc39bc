// Replay of the real ESI killmails in shared/fixtures (skipped when the folder is absent).
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { createSimulator } from '../../src/sim/index.js';

const DIR = fileURLToPath(new URL('../../../shared/fixtures/killmails/esi/', import.meta.url));
const skip = existsSync(DIR) ? false : `fixtures folder ${DIR} is absent`;

function fixtures(): Map<number, Record<string, unknown>> {
  const out = new Map<number, Record<string, unknown>>();
  for (const f of readdirSync(DIR).filter((n) => n.endsWith('.json'))) {
    const doc = JSON.parse(readFileSync(DIR + f, 'utf8')) as Record<string, unknown>;
    out.set(doc.killmail_id as number, doc);
  }
  return out;
}

test('replay publishes every fixture once, in id order, with its own hash', { skip }, async (t) => {
  const files = fixtures();
  const sim = createSimulator({ replayDir: DIR, startSequence: 1 });
  const { url } = await sim.start();
  t.after(() => sim.stop());
  assert.equal(sim.publish(files.size + 10), files.size, 'a replay ends after its last kill');
  assert.equal(sim.publish(1), 0);
  assert.deepEqual(sim.stats().replay?.rejected, []);

  const ids: number[] = [];
  for (let seq = 1; seq <= files.size; seq++) {
    const e = (await (await fetch(`${url}/ephemeral/${seq}.json`)).json()) as {
      killmail_id: number;
      hash: string;
      esi: Record<string, unknown>;
    };
    const src = files.get(e.killmail_id)!;
    assert.ok(src, `unknown id ${e.killmail_id}`);
    if (typeof src.killmail_hash === 'string') assert.equal(e.hash, src.killmail_hash);
    assert.equal(e.esi.killmail_hash, undefined, 'the non-ESI hash field is stripped');
    const { killmail_hash: _h, ...esi } = src;
    assert.deepEqual(e.esi, esi, 'without restamp the ESI body is served unchanged');
    ids.push(e.killmail_id);
  }
  assert.deepEqual(
    ids,
    [...files.keys()].sort((a, b) => a - b),
  );
  assert.equal((await fetch(`${url}/ephemeral/${files.size + 1}.json`)).status, 404);

  // The replayed victim's names resolve through the simulated ESI.
  const first = files.get(ids[0]!)!;
  const victim = first.victim as { character_id?: number; corporation_id?: number };
  const wanted = [victim.character_id, victim.corporation_id].filter((x): x is number => x !== undefined);
  const r = await fetch(`${url}/universe/names/`, { method: 'POST', body: JSON.stringify(wanted) });
  assert.equal(r.status, 200);
});

test('restamp brings kill times into the last hour; rate-driven replay ends on its own', { skip }, async (t) => {
  const files = fixtures();
  const sim = createSimulator({ replayDir: DIR, restamp: true, rate: 500, startSequence: 1 });
  const { url } = await sim.start();
  t.after(() => sim.stop());
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${sim.published} published`)), 10_000);
    const check = (): void => {
      if (sim.published < files.size) return;
      clearTimeout(timer);
      off();
      resolve();
    };
    const off = sim.onPublish(check);
    check();
  });
  const now = Date.now();
  let prevId = 0;
  for (let seq = 1; seq <= files.size; seq++) {
    const e = (await (await fetch(`${url}/ephemeral/${seq}.json`)).json()) as { killmail_id: number; esi: { killmail_time: string } };
    const age = now - Date.parse(e.esi.killmail_time);
    assert.ok(age >= -1000 && age <= 50 * 60_000 + 15_000, `kill ${e.killmail_id} is ${age} ms old`);
    assert.ok(e.killmail_id > prevId);
    prevId = e.killmail_id;
  }
  assert.equal(sim.stats().replay?.remaining, 0);
});
