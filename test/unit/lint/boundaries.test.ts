// The lint config's stage arrows (docs/ARCHITECTURE.md#stages-and-arrows), run through ESLint's
// Node API on fixture files that stand for a stage (test/fixtures/lint/src/<stage>/). The fixtures
// are ignored by `make lint`; here `ignore: false` lints them with the repository's real config.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const FIXTURES = 'test/fixtures/lint/src';

test('eslint.config.js: boundary errors on stage-to-stage imports, none on allowed ones', async () => {
  const eslint = new ESLint({ cwd: ROOT, ignore: false });
  const results = await eslint.lintFiles([`${FIXTURES}/**/*.ts`]);
  const boundary = new Map<string, { line: number; message: string }[]>();
  for (const r of results) {
    const file = r.filePath.slice(r.filePath.indexOf(FIXTURES) + FIXTURES.length + 1);
    assert.equal(r.fatalErrorCount, 0, `${file} parsed: ${JSON.stringify(r.messages)}`);
    boundary.set(
      file,
      r.messages.filter((m) => m.ruleId === 'boundaries/dependencies').map((m) => ({ line: m.line, message: m.message })),
    );
  }
  const lines = (file: string): number[] => (boundary.get(file) ?? []).map((m) => m.line);

  assert.deepEqual(lines('feeds/imports-store.ts'), [2], 'feeds → store');
  assert.match(boundary.get('feeds/imports-store.ts')?.[0]?.message ?? '', /"feeds" to elements of type "store"/);
  assert.deepEqual(lines('feeds/imports-core.ts'), [], 'feeds → core, config, packages are allowed');
  assert.deepEqual(lines('pipeline/imports-enrich.ts'), [3], 'pipeline → enrich outside the worker side');
  assert.deepEqual(lines('core/imports-package.ts'), [3], 'core → a package (node:crypto is fine)');
  assert.deepEqual(lines('http/imports-store.ts'), [3], 'http → store: the type import passes, the value import does not');
  assert.deepEqual(lines('sim/imports-config.ts'), [2], 'sim → config');
});
