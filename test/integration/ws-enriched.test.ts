// Late names on the WebSocket (join param `updates: true`): with a slow simulated ESI a kill is
// broadcast with ids only; when its names arrive the completed copy goes out as one
// `killmail_enriched` event to the channels that asked for updates. `killmail_update` stays
// exactly once per kill, and a channel without `updates` gets no extra event.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import type { Channel } from 'phoenix';
import { SYSTEMS } from '../../src/sim/index.js';
import { defer, feedPositioned, openDbView, startApp, startSim, tempDir, totals, waitFor } from '../fixtures/ingest-harness.js';
import { phoenixSocket } from './ws-harness.js';

interface Km {
  killmail_id: number;
  solar_system_name?: string;
  victim: { character_id?: number; character_name?: string };
}

const complete = (k: Km): boolean =>
  typeof k.solar_system_name === 'string' && (k.victim.character_id === undefined || typeof k.victim.character_name === 'string');

function joined(ch: Channel): Promise<void> {
  return new Promise((resolve, reject) => {
    ch.join()
      .receive('ok', () => resolve())
      .receive('error', (e: unknown) => reject(new Error(JSON.stringify(e))));
  });
}

test(
  'updates: true delivers the late-completed copy as killmail_enriched, once; others get nothing extra',
  { timeout: 180_000 },
  async (t) => {
    const sim = await startSim(t);
    sim.publish(1);
    const file = join(tempDir(t), 'wk.db');
    const app = await startApp(
      t,
      { source: 'r2z2', r2z2Url: sim.url, esiUrl: sim.url, zkbUrl: sim.url, db: file, enrich: true, enrichBudgetMs: 200 },
      { http: true },
    );
    await feedPositioned(app);
    await waitFor(
      () => totals(app).stored >= 1,
      15_000,
      () => 'the first kill stored',
    );

    const socket = phoenixSocket(`ws://127.0.0.1:${app.port()}/socket`, { client_identifier: 'updates' });
    t.after(() => socket.disconnect());
    socket.connect();
    const systems = SYSTEMS.map((s) => s.id);
    const seen = { withUpdates: [] as number[], plain: [] as number[], enriched: [] as Km[], plainEnriched: 0, broadcast: [] as Km[] };
    const a = socket.channel('killmails:lobby', { systems, preload: { enabled: false }, updates: true });
    a.on('killmail_update', (p: { killmails: Km[] }) => {
      seen.withUpdates.push(...p.killmails.map((k) => k.killmail_id));
      seen.broadcast.push(...p.killmails);
    });
    a.on('killmail_enriched', (p: { killmails: Km[]; killmail_id: number }) => void seen.enriched.push(...p.killmails));
    // One socket, one lobby: the second client has its own socket.
    const socket2 = phoenixSocket(`ws://127.0.0.1:${app.port()}/socket`, { client_identifier: 'plain' });
    t.after(() => socket2.disconnect());
    socket2.connect();
    const b2 = socket2.channel('killmails:lobby', { systems, preload: { enabled: false } });
    b2.on('killmail_update', (p: { killmails: Km[] }) => void seen.plain.push(...p.killmails.map((k) => k.killmail_id)));
    b2.on('killmail_enriched', () => {
      seen.plainEnriched++;
    });
    await joined(a);
    await joined(b2);

    // Every ESI answer now takes 1.2 s: far past the 200 ms budget, so kills go out with ids only.
    sim.setFaults([{ route: 'esi', kind: 'latency', latencyMs: 1200 }]);
    sim.publish(3);
    await waitFor(
      () => seen.withUpdates.length >= 3 && seen.plain.length >= 3,
      15_000,
      () => `3 live kills (${JSON.stringify(seen)})`,
    );
    sim.setFaults([]);
    // Late completion retries after 3 s, then 15 s, 60 s. Some generated kills carry an id the
    // simulated ESI never resolves: those stay incomplete, so the check is per kill: every kill
    // broadcast incomplete whose stored copy is now complete got exactly one killmail_enriched.
    await waitFor(
      () => seen.enriched.length >= 1,
      90_000,
      () => `a killmail_enriched (${JSON.stringify(app.results.stats())})`,
    );
    await new Promise((r) => setTimeout(r, 1000));
    const db = openDbView(file);
    defer(t, () => db.close());
    const completedLate = seen.broadcast
      .filter((k) => !complete(k) && complete(JSON.parse(db.row(k.killmail_id)?.json ?? '{}') as Km))
      .map((k) => k.killmail_id);
    assert.deepEqual(seen.enriched.map((k) => k.killmail_id).sort(), completedLate.sort(), 'one killmail_enriched per late completion');

    assert.equal(new Set(seen.withUpdates).size, seen.withUpdates.length, 'killmail_update exactly once');
    assert.deepEqual([...seen.plain].sort(), [...seen.withUpdates].sort());
    const ids = seen.enriched.map((k) => k.killmail_id);
    assert.equal(new Set(ids).size, ids.length, 'each completion pushed once');
    for (const k of seen.enriched) {
      assert.ok(seen.withUpdates.includes(k.killmail_id), 'only kills the channel received');
      assert.equal(typeof k.solar_system_name, 'string');
      if (k.victim.character_id !== undefined) assert.equal(typeof k.victim.character_name, 'string');
    }
    assert.equal(seen.plainEnriched, 0, 'no killmail_enriched without updates: true');
  },
);
