// Bad input is data: every kind is rejected with its FailReason (counted by the pool, see
// pipeline.test.ts), never thrown as a crash.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type { FailReason } from '../../../src/core/ports.js';
import { normalise } from '../../../src/pipeline/normalise.js';
import { isEntryRejected } from '../../../src/pipeline/reject.js';
import { bytes, esiKillmail, r2z2Entry, zkbMeta } from '../../fixtures/pipeline-samples.js';

const MAX = 4 * 1024 * 1024;

async function reason(body: Uint8Array, opts: Partial<Parameters<typeof normalise>[1]> = {}): Promise<FailReason> {
  try {
    await normalise(body, { maxEntryBytes: MAX, ...opts });
  } catch (err) {
    assert.ok(isEntryRejected(err), `expected a rejection, got ${String(err)}`);
    assert.ok(err.message.length > 0);
    return err.reason;
  }
  assert.fail('entry was accepted');
}

const victimless = esiKillmail();
delete victimless['victim'];

const cases: [string, Uint8Array, FailReason][] = [
  ['malformed JSON', bytes('{"killmail_id": 1,'), 'json'],
  ['empty body', new Uint8Array(0), 'json'],
  ['invalid UTF-8', Uint8Array.of(0x7b, 0xff, 0xfe, 0x7d), 'json'],
  ['JSON array', bytes('[1,2]'), 'shape'],
  ['JSON string', bytes('"kill"'), 'shape'],
  ['unknown object', bytes({ hello: 'world' }), 'shape'],
  ['RedisQ null package', bytes({ package: null }), 'shape'],
  ['R2Z2 id mismatch', bytes(r2z2Entry(1001, { killmail_id: 1002 })), 'shape'],
  ['missing victim', bytes(victimless), 'missing_field'],
  ['missing killmail_time', bytes(esiKillmail(1, { killmail_time: undefined })), 'missing_field'],
  ['missing solar_system_id', bytes(esiKillmail(1, { solar_system_id: null })), 'missing_field'],
  ['missing attackers', bytes(esiKillmail(1, { attackers: undefined })), 'missing_field'],
  ['missing victim ship', bytes(esiKillmail(1, { victim: { damage_taken: 1 } })), 'missing_field'],
  ['R2Z2 without esi', bytes(r2z2Entry(1001, { esi: null })), 'missing_field'],
  ['short package without hash', bytes({ package: { killID: 5, zkb: { totalValue: 1 } } }), 'missing_field'],
  ['string killmail_id', bytes(esiKillmail(1, { killmail_id: '1' })), 'wrong_type'],
  ['negative killmail_id', bytes(esiKillmail(-5)), 'wrong_type'],
  ['fractional system id', bytes(esiKillmail(1, { solar_system_id: 30000142.5 })), 'wrong_type'],
  ['unparsable time', bytes(esiKillmail(1, { killmail_time: 'yesterday' })), 'wrong_type'],
  ['numeric time', bytes(esiKillmail(1, { killmail_time: 1767225600 })), 'wrong_type'],
  ['victim is an array', bytes(esiKillmail(1, { victim: [] })), 'wrong_type'],
  ['attackers is an object', bytes(esiKillmail(1, { attackers: {} })), 'wrong_type'],
  ['attacker is a number', bytes(esiKillmail(1, { attackers: [7] })), 'wrong_type'],
  ['final_blow is a string', bytes(esiKillmail(1, { attackers: [{ final_blow: 'yes' }] })), 'wrong_type'],
  ['zkb totalValue is a string', bytes({ ...esiKillmail(), zkb: zkbMeta({ totalValue: '10' }) }), 'wrong_type'],
  ['zkb labels not strings', bytes({ ...esiKillmail(), zkb: zkbMeta({ labels: [1] }) }), 'wrong_type'],
  ['RedisQ killmail is a string', bytes({ package: { killID: 5, killmail: 'x', zkb: zkbMeta() } }), 'wrong_type'],
];

describe('bad input: each kind has its reason', () => {
  for (const [name, body, expected] of cases) {
    test(name, async () => {
      assert.equal(await reason(body), expected);
    });
  }

  test('a 1 MB killmail over maxEntryBytes is too_large; under the limit it parses', async () => {
    const many = Array.from({ length: 7000 }, (_, i) => ({
      character_id: 90000000 + i,
      corporation_id: 98000001,
      damage_done: 1,
      final_blow: i === 0,
      security_status: 0.5,
      ship_type_id: 621,
      weapon_type_id: 2185,
    }));
    const body = bytes(esiKillmail(1, { attackers: many }));
    assert.ok(body.byteLength > 1_000_000, `sample is ${body.byteLength} bytes`);
    assert.equal(await reason(body, { maxEntryBytes: 512 * 1024 }), 'too_large');
    const ok = await normalise(body, { maxEntryBytes: MAX });
    assert.equal(ok.killmail.attacker_count, 7000);
  });

  test('short package with no fetcher configured is esi_fetch', async () => {
    assert.equal(await reason(bytes({ package: { killID: 5, zkb: zkbMeta() } })), 'esi_fetch');
  });

  test('short package whose fetch fails is esi_fetch', async () => {
    const fetchKillmail = async () => {
      throw Object.assign(new Error('HTTP 404'), { code: 'ERR_ESI_HTTP_STATUS' });
    };
    assert.equal(await reason(bytes({ package: { killID: 5, zkb: zkbMeta() } }), { fetchKillmail }), 'esi_fetch');
  });

  test('short package whose fetch returns another killmail is esi_fetch', async () => {
    const fetchKillmail = async () => esiKillmail(6);
    assert.equal(await reason(bytes({ package: { killID: 5, zkb: zkbMeta() } }), { fetchKillmail }), 'esi_fetch');
  });

  test('short package whose fetched body is invalid keeps the validation reason', async () => {
    const fetchKillmail = async () => ({ killmail_id: 5 });
    assert.equal(await reason(bytes({ package: { killID: 5, zkb: zkbMeta() } }), { fetchKillmail }), 'missing_field');
  });
});
