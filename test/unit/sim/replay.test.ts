import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadReplay } from '../../../src/sim/replay.js';

test('loadReplay sorts by id, keeps a given hash, derives a missing one, and rejects bad files with reasons', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'wk-replay-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const mail = (id: number, extra: Record<string, unknown> = {}) =>
    JSON.stringify({
      killmail_id: id,
      killmail_time: '2024-01-01T00:00:00Z',
      solar_system_id: 30000142,
      victim: { ship_type_id: 670, damage_taken: 1 },
      attackers: [{ damage_done: 1, final_blow: true, security_status: 0 }],
      ...extra,
    });
  writeFileSync(join(dir, 'b.json'), mail(20, { killmail_hash: 'a'.repeat(40) }));
  writeFileSync(join(dir, 'a.json'), mail(30));
  writeFileSync(join(dir, 'c.json'), mail(10));
  writeFileSync(join(dir, 'broken.json'), '{"killmail_id": 1,');
  writeFileSync(join(dir, 'notime.json'), JSON.stringify({ killmail_id: 5, victim: {}, attackers: [] }));
  writeFileSync(join(dir, 'ignored.txt'), 'not json');

  const r = loadReplay({ dir, esiBaseUrl: 'http://sim' });
  assert.equal(r.size, 3);
  assert.deepEqual(
    [0, 1, 2].map((i) => r.identity(i).killmailId),
    [10, 20, 30],
  );
  assert.equal(r.identity(1).hash, 'a'.repeat(40));
  assert.match(r.identity(0).hash, /^[0-9a-f]{40}$/);
  assert.deepEqual(r.rejected.map((x) => x.file).sort(), ['broken.json', 'notime.json']);
  const k = r.kill(1, Date.parse('2024-01-01T00:00:00Z'), []);
  assert.equal((k.esi as unknown as Record<string, unknown>).killmail_hash, undefined);
  assert.equal(k.zkb.href, `http://sim/killmails/20/${'a'.repeat(40)}/`);
  assert.equal(r.kill(0, 0, [], 50).esi.attackers.length, 50);
});
