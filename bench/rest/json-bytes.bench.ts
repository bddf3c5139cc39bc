// Races the two ways to build a 50-kill response body from stored JSON texts, in one process:
// the obvious join (then the UTF-8 encode uWS does for a string body) against JsonBytes.
//   node --import tsx bench/rest/json-bytes.bench.ts
import { benchKill } from './data.js';
import { JsonBytes } from '../../src/http/json-bytes.js';

const SETS = 64;
const KILLS = 50;
let seed = 1;
const rand = (): number => (seed = (seed * 1_103_515_245 + 12_345) >>> 0) / 2 ** 32;
const sets = Array.from({ length: SETS }, (_, s) =>
  Array.from({ length: KILLS }, (_, k) => JSON.stringify(benchKill(s * KILLS + k, 30_000_001 + s, Date.now(), rand))),
);
const ts = new Date().toISOString();
const tail = `,"timestamp":"${ts}","cached":false},"timestamp":"${ts}"}`;

const candidates: Record<string, (texts: readonly string[]) => Uint8Array> = {
  'join + encode (baseline)': (texts) => Buffer.from('{"data":{"kills":[' + texts.join(',') + ']' + tail),
  JsonBytes: (texts) => new JsonBytes().raw('{"data":{"kills":').array(texts).raw(tail).toBuffer(),
};

const bytes = candidates['JsonBytes']!(sets[0]!).byteLength;
for (let round = 0; round < 3; round++) {
  for (const [name, build] of Object.entries(candidates)) {
    for (let i = 0; i < 500; i++) build(sets[i % SETS]!);
    const n = 3000;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) build(sets[i % SETS]!);
    const us = Number(process.hrtime.bigint() - t0) / 1000 / n;
    console.log(`${name.padEnd(26)} ${us.toFixed(1).padStart(7)} µs per ${Math.round(bytes / 1024)} KB body`);
  }
}
