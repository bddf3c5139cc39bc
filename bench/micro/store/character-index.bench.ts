// The in-memory per-character index: memory per (character, kill) pair and the main thread's cost
// of add / query / remove, for the typed-array layout (src/store/character-index.ts) against the
// Map of JS arrays it replaced (bench/baselines/character-index-map.ts), each in a fresh process
// so the heaps do not mix.
//   week:      ~125,000 kills × 1-27 characters drawn from 250,000 with a skewed popularity
//              (most characters in a few kills, a few in hundreds): live traffic's shape.
//   simulator: the same kills over the simulator's 4,096 characters (~490 kills each): long lists.
// Memory: the V8 heap plus array buffers after two full collections (run with --expose-gc), which
// counts a grown buffer's whole capacity, and the process's RSS growth, which counts only the
// pages touched.
//   node --expose-gc --import tsx bench/micro/store/character-index.bench.ts
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createCharacterIndex, joinIds, type CharacterIndex } from '../../../src/store/character-index.js';
import { createMapCharacterIndex } from '../../baselines/character-index-map.js';

const KILLS = 125_000;
const QUERIES = 100_000;
const SHAPES = { week: 250_000, simulator: 4096 } as const;
type Shape = keyof typeof SHAPES;

function measure(layout: 'typed' | 'map', shape: Shape): Record<string, number> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc === undefined) throw new Error('run with --expose-gc');
  const characters = SHAPES[shape];
  let seed = 7;
  const rnd = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 4294967296;
  const pick = () => 2_112_000_000 + Math.floor(characters * (shape === 'week' ? Math.pow(rnd(), 2.2) : rnd()));
  const since = Date.now() - 3 * 86_400_000;
  const kills = Array.from({ length: KILLS }, (_, i) => {
    const ids = new Set<number>();
    for (let n = 1 + Math.floor(rnd() * 27); ids.size < n;) ids.add(pick());
    return {
      ids: [...ids],
      text: joinIds([...ids]),
      timeMs: Math.floor((since - 4 * 86_400_000 + i * 5530) / 1000) * 1000,
      killmailId: 130_000_000 + i,
    };
  });
  gc();
  gc();
  const before = process.memoryUsage();
  const index: CharacterIndex = layout === 'typed' ? createCharacterIndex() : createMapCharacterIndex();
  let t = performance.now();
  for (const k of kills) index.add(k.ids, k.timeMs, k.killmailId);
  const addUs = ((performance.now() - t) * 1000) / KILLS;
  gc();
  gc();
  const after = process.memoryUsage();
  const bytes = after.heapUsed - before.heapUsed + after.arrayBuffers - before.arrayBuffers;
  t = performance.now();
  let hits = 0;
  for (let i = 0; i < QUERIES; i++) hits += index.query(pick(), since, 50).length;
  const queryUs = ((performance.now() - t) * 1000) / QUERIES;
  t = performance.now();
  for (const k of kills) index.remove(k.text, k.timeMs, k.killmailId);
  const removeUs = ((performance.now() - t) * 1000) / KILLS;
  const pairs = kills.reduce((n, k) => n + k.ids.length, 0);
  if (index.stats().entries !== 0) throw new Error('index not empty after removing every kill');
  return { pairs, MB: bytes / 1e6, bytesPerPair: bytes / pairs, rssMB: (after.rss - before.rss) / 1e6, addUs, queryUs, removeUs, hits };
}

const [layout, shape] = process.argv.slice(2) as ['typed' | 'map' | undefined, Shape | undefined];
if (layout !== undefined && shape !== undefined) {
  process.stdout.write(JSON.stringify(measure(layout, shape)));
} else {
  const self = fileURLToPath(import.meta.url);
  console.log('shape      layout  pairs      MB     B/pair  RSS MB  add µs/kill  query µs  remove µs/kill');
  for (const s of Object.keys(SHAPES) as Shape[]) {
    for (const l of ['typed', 'map'] as const) {
      const out = execFileSync(process.execPath, [...process.execArgv, self, l, s], { encoding: 'utf8' });
      const r = JSON.parse(out) as Record<string, number>;
      const f = (v: number | undefined, d: number) => (v ?? 0).toFixed(d);
      console.log(
        `${s.padEnd(10)} ${l.padEnd(7)} ${String(r['pairs']).padEnd(10)} ${f(r['MB'], 1).padEnd(6)} ${f(r['bytesPerPair'], 1).padEnd(7)} ${f(r['rssMB'], 1).padEnd(7)} ` +
          `${f(r['addUs'], 2).padEnd(12)} ${f(r['queryUs'], 2).padEnd(9)} ${f(r['removeUs'], 2)}`,
      );
    }
  }
}
