// Fuzzing the feed entry parser/validator (normalise: parse → classify → validate → canonical):
// random bytes, truncated entries and valid entries with random fields replaced or removed.
// Every input is accepted or rejected with one of the named FailReasons: no other throw, no
// unhandled rejection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import type { FailReason } from '../../../src/core/ports.js';
import { normalise } from '../../../src/pipeline/normalise.js';
import { isEntryRejected } from '../../../src/pipeline/reject.js';
import { bytes, esiKillmail, r2z2Entry, zkbMeta } from '../../fixtures/pipeline-samples.js';
import { fuzz, ReasonTally } from '../../fixtures/fuzz.js';

const MAX = 64 * 1024;
const REASONS = new Set<FailReason>(['json', 'shape', 'missing_field', 'wrong_type', 'too_large', 'esi_fetch']);

async function outcome(body: Uint8Array, tally: ReasonTally): Promise<void> {
  try {
    const n = await normalise(body, { maxEntryBytes: MAX });
    assert.ok(Number.isSafeInteger(n.killmail.killmail_id) && n.killmail.killmail_id > 0);
    tally.add('accepted');
  } catch (err) {
    if (!isEntryRejected(err)) throw new Error(`not a named rejection: ${String((err as Error)?.stack ?? err)}`);
    assert.ok(REASONS.has(err.reason), `unknown reason ${err.reason}`);
    tally.add(err.reason);
  }
}

/** Replace (or delete) the value at a random path of a JSON object. */
function mutate(value: unknown, path: readonly number[], replacement: unknown, remove: boolean): unknown {
  if (path.length === 0 || value === null || typeof value !== 'object') return replacement;
  const copy: Record<string, unknown> | unknown[] = Array.isArray(value) ? [...value] : { ...(value as Record<string, unknown>) };
  const keys = Object.keys(copy);
  if (keys.length === 0) return copy;
  const key = keys[path[0]! % keys.length]!;
  if (remove && path.length === 1) {
    if (Array.isArray(copy)) copy.splice(Number(key), 1);
    else return Object.fromEntries(Object.entries(copy).filter(([k]) => k !== key));
    return copy;
  }
  (copy as Record<string, unknown>)[key] = mutate((copy as Record<string, unknown>)[key], path.slice(1), replacement, remove);
  return copy;
}

const samples = [
  esiKillmail(),
  r2z2Entry(),
  { package: { killID: 1001, killmail: esiKillmail(), zkb: zkbMeta() } },
  { ...esiKillmail(), zkb: zkbMeta() },
];

test('random bytes: accepted or a named rejection', async (t) => {
  const tally = new ReasonTally();
  await fuzz(
    'pipeline random bytes',
    fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), (b) => outcome(b, tally)),
    3000,
  );
  await fuzz(
    'pipeline random JSON',
    fc.asyncProperty(fc.jsonValue({ maxDepth: 4 }), (v) => outcome(bytes(v), tally)),
    3000,
  );
  t.diagnostic(tally.toString());
});

test('valid entries truncated, or with one field replaced or removed: accepted or a named rejection', async (t) => {
  const tally = new ReasonTally();
  const mutated = fc.record({
    sample: fc.nat(samples.length - 1),
    path: fc.array(fc.nat(40), { minLength: 1, maxLength: 5 }),
    replacement: fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(-1, 0, 1.5, 2 ** 53, '', '2026-13-45T99:99:99Z', [], {})),
    remove: fc.boolean(),
  });
  await fuzz(
    'pipeline mutated entries',
    fc.asyncProperty(mutated, ({ sample, path, replacement, remove }) =>
      outcome(bytes(mutate(samples[sample], path, replacement, remove)), tally),
    ),
    4000,
  );
  const truncated = fc.record({ sample: fc.nat(samples.length - 1), cut: fc.nat() });
  await fuzz(
    'pipeline truncated entries',
    fc.asyncProperty(truncated, async ({ sample, cut }) => {
      const whole = bytes(samples[sample]);
      const body = whole.subarray(0, cut % whole.byteLength);
      await outcome(body, tally);
    }),
    1000,
  );
  t.diagnostic(tally.toString());
  assert.ok((tally.counts.get('accepted') ?? 0) > 0, 'some mutations keep the entry valid');
});
