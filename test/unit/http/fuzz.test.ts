// Fuzzing the REST query/body validators: any text or JSON value is accepted with a value that
// satisfies the spec, or rejected with a reason; nothing throws.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkJson, checkText, echo, type ValueSpec } from '../../../src/http/validate.js';
import { fuzz, ReasonTally } from '../../fixtures/fuzz.js';

const SPECS: ValueSpec[] = [
  { type: 'integer', min: 1, max: 50_000_000 },
  { type: 'integer', min: 1, max: 168, default: 24 },
  { type: 'integer', min: 0, max: 1000 },
  { type: 'integer_list', min: 1, max: 50_000_000, minItems: 1, maxItems: 100 },
  { type: 'string', maxLength: 16, enum: ['json', 'prometheus'] },
  { type: 'string', maxLength: 64, pattern: /^[a-z0-9_-]+$/ },
  { type: 'boolean' },
];

function satisfies(spec: ValueSpec, v: unknown): void {
  if (v === undefined) return;
  switch (spec.type) {
    case 'integer':
      assert.ok(
        Number.isSafeInteger(v) && (v as number) >= spec.min && (v as number) <= spec.max,
        `${String(v)} for ${JSON.stringify(spec)}`,
      );
      break;
    case 'integer_list':
      assert.ok(Array.isArray(v) && v.length >= spec.minItems && v.length <= spec.maxItems);
      for (const n of v as number[]) assert.ok(Number.isSafeInteger(n) && n >= spec.min && n <= spec.max);
      break;
    case 'string':
      assert.ok(typeof v === 'string' && v.length <= spec.maxLength);
      if (spec.enum) assert.ok(spec.enum.includes(v));
      break;
    case 'boolean':
      assert.equal(typeof v, 'boolean');
  }
}

const text = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.integer().map(String),
  fc.double().map(String),
  fc.array(fc.integer({ min: -5, max: 60_000_000 }), { maxLength: 120 }).map((a) => a.join(',')),
  fc.constantFrom('', '0', '01', '1e3', ' 5', '+5', 'true', '1,,2'),
);

test('checkText and checkJson: a valid value or a reason, never a throw', async (t) => {
  const tally = new ReasonTally();
  await fuzz(
    'checkText',
    fc.property(fc.nat(SPECS.length - 1), fc.option(text, { nil: undefined }), (i, s) => {
      const spec = SPECS[i]!;
      const r = checkText(spec, s);
      if (r.ok) satisfies(spec, r.value);
      else assert.ok(r.reason.length > 0);
      tally.add(r.ok ? 'ok' : r.reason.split(' ').slice(0, 2).join(' '));
    }),
    5000,
  );
  await fuzz(
    'checkJson',
    fc.property(
      fc.nat(SPECS.length - 1),
      fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.array(fc.integer({ min: -5, max: 60_000_000 }), { maxLength: 120 })),
      (i, v) => {
        const spec = SPECS[i]!;
        const r = checkJson(spec, v);
        if (r.ok) satisfies(spec, r.value);
        else assert.ok(r.reason.length > 0);
        const e = echo(v);
        assert.ok(e === null || ['string', 'number', 'boolean'].includes(typeof e));
        tally.add(r.ok ? 'ok' : r.reason.split(' ').slice(0, 2).join(' '));
      },
    ),
    5000,
  );
  t.diagnostic(tally.toString());
});
