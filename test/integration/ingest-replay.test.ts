// Real killmails through the whole ingest path (issue 2): the shared ESI fixtures replayed by the
// simulator over R2Z2 (restamped to the present) must be stored with their own system, victim
// ship, attacker count and restamped kill time; the legacy RedisQ packages (up to the ~1 MB
// Keepstar kill) must normalise in a worker with their own id, system and attacker count.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { restampOffsets } from '../../src/sim/index.js';
import { defer, feedPositioned, openDbView, startApp, startSim, tempDir, totals, waitFor } from '../fixtures/ingest-harness.js';

const FIXTURES = fileURLToPath(new URL('../../../shared/fixtures/killmails/', import.meta.url));
const ESI_DIR = join(FIXTURES, 'esi');
const LEGACY_DIR = join(FIXTURES, 'redisq-legacy');

interface FixtureMail {
  killmail_id: number;
  killmail_time: string;
  solar_system_id: number;
  victim: { ship_type_id: number };
  attackers: unknown[];
}

interface StoredKill {
  killmail_id: number;
  kill_time: string;
  system_id: number;
  victim: { ship_type_id: number };
  attacker_count: number;
  attackers: unknown[];
}

function readJsonFiles<T>(dir: string): { file: string; doc: T; bytes: Buffer }[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => {
      const bytes = readFileSync(join(dir, file));
      return { file, doc: JSON.parse(bytes.toString('utf8')) as T, bytes };
    });
}

test(
  'replayed ESI fixtures are stored with their system, victim ship, attacker count and restamped time',
  { skip: !existsSync(ESI_DIR) && `no fixtures at ${ESI_DIR}` },
  async (t) => {
    const mails = readJsonFiles<FixtureMail>(ESI_DIR)
      .map((f) => f.doc)
      .sort((a, b) => a.killmail_id - b.killmail_id);
    const sim = await startSim(t, { replayDir: ESI_DIR, restamp: true });
    assert.deepEqual(sim.stats().replay?.rejected, [], 'every fixture is a killmail');
    assert.equal(sim.stats().replay?.size, mails.length);
    const file = join(tempDir(t), 'wk.db');
    const app = await startApp(t, { source: 'r2z2', r2z2Url: sim.url, esiUrl: sim.url, zkbUrl: sim.url, db: file });
    await feedPositioned(app);
    // Published once the reader has read the (empty) tip, so it reads every replayed entry.
    const before = Date.now();
    assert.equal(sim.publish(mails.length), mails.length);
    const after = Date.now();
    await waitFor(
      () => totals(app).stored + totals(app).failed >= mails.length,
      20_000,
      () => `${mails.length} outcomes (${JSON.stringify(app.results.stats())})`,
    );
    assert.equal(totals(app).failed, 0, JSON.stringify(app.counters.snapshot()));

    const db = openDbView(file);
    defer(t, () => db.close());
    assert.deepEqual(db.counts(), { total: mails.length, distinct: mails.length });
    // Restamp rule (src/sim/replay.ts): kill time = publish time − compressed age behind the newest, to the second.
    const offsets = restampOffsets(mails.map((m) => Date.parse(m.killmail_time)));
    mails.forEach((m, i) => {
      const row = db.row(m.killmail_id);
      assert.ok(row, `killmail ${m.killmail_id} stored`);
      const kill = JSON.parse(row.json) as StoredKill;
      assert.equal(row.system_id, m.solar_system_id, `${m.killmail_id} system`);
      assert.equal(kill.system_id, m.solar_system_id);
      assert.equal(kill.victim.ship_type_id, m.victim.ship_type_id, `${m.killmail_id} victim ship`);
      assert.equal(kill.attacker_count, m.attackers.length, `${m.killmail_id} attacker_count`);
      assert.equal(kill.attackers.length, m.attackers.length);
      const off = offsets[i] ?? 0;
      const lo = Math.floor((before - off) / 1000) * 1000;
      const hi = Math.floor((after - off) / 1000) * 1000;
      assert.ok(row.kill_time_ms >= lo && row.kill_time_ms <= hi, `${m.killmail_id} kill time ${row.kill_time_ms} in [${lo}, ${hi}]`);
      assert.equal(Date.parse(kill.kill_time), row.kill_time_ms);
    });
    // Within 50 minutes of now, so none is older than the default 1 h cutoff.
    assert.equal(totals(app).older, 0);
  },
);

interface LegacyPackage {
  killID: number;
  killmail: { killmail_id: number; solar_system_id: number; attackers: unknown[] };
}

test(
  'legacy RedisQ packages normalise in a worker with their id, system and attacker count',
  { skip: !existsSync(LEGACY_DIR) && `no fixtures at ${LEGACY_DIR}` },
  async (t) => {
    const app = await startApp(t, { source: 'none', db: ':memory:' });
    const files = readJsonFiles<LegacyPackage>(LEGACY_DIR);
    assert.ok(files.length > 0);
    assert.ok(
      files.some((f) => f.bytes.byteLength > 900_000),
      'the ~1 MB Keepstar package is among them',
    );
    for (const { file, doc, bytes } of files) {
      const outcome = await app.pipeline.runOne(new Uint8Array(bytes), 'redisq');
      assert.equal(outcome.kind, 'kill', `${file}: ${outcome.kind === 'failed' ? `${outcome.reason}: ${outcome.message}` : ''}`);
      if (outcome.kind !== 'kill') continue;
      assert.equal(outcome.kill.killmailId, doc.killID, file);
      assert.equal(outcome.kill.systemId, doc.killmail.solar_system_id, file);
      const kill = JSON.parse(outcome.kill.json) as StoredKill;
      assert.equal(kill.killmail_id, doc.killID, file);
      assert.equal(kill.system_id, doc.killmail.solar_system_id, file);
      assert.equal(kill.attacker_count, doc.killmail.attackers.length, file);
      assert.equal(kill.attackers.length, doc.killmail.attackers.length, file);
    }
  },
);
