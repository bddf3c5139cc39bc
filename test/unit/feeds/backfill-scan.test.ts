// The history splitter: every layout, any chunking, clear errors naming the line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsonItemScanner, type ScannedItem } from '../../../src/feeds/backfill-scan.js';

function scanAll(text: string, chunkSize = text.length, maxItemBytes = 1 << 20): ScannedItem[] {
  const s = new JsonItemScanner(maxItemBytes);
  const buf = Buffer.from(text);
  const out: ScannedItem[] = [];
  for (let i = 0; i < buf.length; i += chunkSize) out.push(...s.push(buf.subarray(i, i + chunkSize)));
  out.push(...s.end());
  return out;
}

const texts = (items: ScannedItem[]): string[] => items.map((i) => Buffer.from(i.body).toString());

const A = '{"killmail_id":1,"victim":{"name":"a \\"}{[ b"},"attackers":[{"x":[1,2]}]}';
const B = '{"killmail_id":2,"note":"line\\\\"}';

test('JSON lines, array and keyed layouts give the same entries at every chunk size', () => {
  const layouts = {
    docs: `${A}\n${B}\n`,
    array: ` [\n${A},\n${B}\n]\n`,
    keyed: `{"1":${A},\n"2":${B}}`,
  };
  for (const [name, text] of Object.entries(layouts)) {
    for (const size of [1, 2, 3, 7, 64, text.length]) {
      const items = scanAll(text, size);
      assert.deepEqual(texts(items), [A, B], `${name} at chunk ${size}`);
      if (name === 'keyed')
        assert.deepEqual(
          items.map((i) => i.key),
          ['1', '2'],
        );
    }
  }
});

test('an id → hash day file yields the hash strings with their keys', () => {
  const items = scanAll('{"101":"abc","102":"def"}', 3);
  assert.deepEqual(
    items.map((i) => [i.key, Buffer.from(i.body).toString()]),
    [
      ['101', '"abc"'],
      ['102', '"def"'],
    ],
  );
});

test('lines are counted: an entry knows where it starts', () => {
  const items = scanAll(`${A}\n\n${B}\n${A}`, 5);
  assert.deepEqual(
    items.map((i) => i.line),
    [1, 3, 4],
  );
});

test('a truncated file: the entries before it come out, then an error naming the line', () => {
  const s = new JsonItemScanner(1 << 20);
  const got = [...s.push(Buffer.from(`${A}\n${B}\n{"killmail_id":3,"vic`))];
  assert.equal(got.length, 2);
  assert.throws(() => [...s.end()], /entry starting at line 3 \(truncated file\?\)/);
  assert.throws(() => scanAll(`[${A},${B}`), /before the closing \]/);
  assert.throws(() => scanAll(`{"1":${A}`), /before the closing \}/);
});

test('not JSON, keys that are not ids, junk between entries: clear errors', () => {
  assert.throws(() => scanAll('killmail,1,2\n'), /line 1: not JSON killmails/);
  assert.throws(() => scanAll(`{"1":${A},"abc":${B}}`), /key "abc" is not a killmail id/);
  assert.throws(() => scanAll(`${A}\nnull\n`), /line 2: unexpected "n"/);
});

test('an entry larger than the limit is dropped (memory stays bounded) and flagged', () => {
  const big = `{"killmail_id":9,"pad":"${'x'.repeat(5000)}"}`;
  const items = scanAll(`${A}\n${big}\n${B}\n`, 100, 1000);
  assert.deepEqual(
    items.map((i) => i.tooLarge === true),
    [false, true, false],
  );
  assert.deepEqual(texts([items[0] as ScannedItem, items[2] as ScannedItem]), [A, B]);
});

test('empty input yields nothing', () => {
  assert.deepEqual(scanAll(''), []);
  assert.deepEqual(scanAll('  \n'), []);
});
