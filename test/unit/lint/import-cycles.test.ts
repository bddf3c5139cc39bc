// No import cycles in src/ (value imports; `import type` is erased and cannot cycle at run time).
// ESLint's boundary rule sees arrows between stages; this test sees loops inside a stage too,
// which make module initialisation order matter and hide which file owns a definition.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** Cycles known and being removed; each entry names its files in cycle order. Empty this list, never grow it. */
const KNOWN_CYCLES: string[][] = [];

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFiles(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** Relative value imports and re-exports of one file, as repository paths of .ts files. */
function valueImports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/^(?:import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?['"](\.[^'"]+)['"]/gm)) {
    if (m[1] !== undefined) continue;
    const spec = m[2] as string;
    // `import { type A, type B } from` is erased too.
    const names = /\{([^}]*)\}/.exec(m[0])?.[1];
    if (names !== undefined && names.split(',').every((n) => n.trim() === '' || n.trim().startsWith('type '))) continue;
    out.push(relative(ROOT, resolve(dirname(file), spec.replace(/\.js$/, '.ts'))));
  }
  return out;
}

/** Strongly connected components with more than one file (Tarjan). */
function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      for (let w = stack.pop(); w !== undefined; w = stack.pop()) {
        onStack.delete(w);
        scc.push(w);
        if (w === v) break;
      }
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

test('src/ has no import cycles beyond the known ones', () => {
  // The detector itself: a two-file loop is found, a file merely pointing into it is not part of it.
  assert.deepEqual(
    cycles(
      new Map([
        ['a', ['b']],
        ['b', ['a']],
        ['c', ['a']],
      ]),
    ),
    [['a', 'b']],
  );
  const graph = new Map<string, string[]>();
  for (const file of tsFiles(join(ROOT, 'src'))) graph.set(relative(ROOT, file), valueImports(file));
  const found = cycles(graph).map((c) => c.join(' ↔ '));
  const known = KNOWN_CYCLES.map((c) => [...c].sort().join(' ↔ '));
  assert.deepEqual(
    found.filter((c) => !known.includes(c)),
    [],
    'new import cycles',
  );
});
