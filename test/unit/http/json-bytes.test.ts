import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsonBytes } from '../../../src/http/json-bytes.js';

test('splices texts into the same bytes as join + UTF-8 encode, non-ASCII included', () => {
  // ASCII (copied as latin1), one-byte Latin-1 (must be transcoded), two-byte and astral text.
  const kills = ['{"a":1}', '{"name":"Ærøskøbing"}', '{"name":"— 星"}', '{"emoji":"🚀"}'];
  const b = new JsonBytes().raw('{"data":').array(kills).raw(',"x":').array([]).raw('}');
  const expected = '{"data":[' + kills.join(',') + '],"x":[]}';
  const buf = b.toBuffer();
  assert.equal(buf.toString('utf8'), expected);
  assert.equal(b.byteLength, Buffer.byteLength(expected));
  assert.deepEqual(JSON.parse(buf.toString()), { data: kills.map((k) => JSON.parse(k)), x: [] });
});

test('an empty builder is an empty buffer', () => {
  assert.equal(new JsonBytes().toBuffer().length, 0);
});
