// The repository stands alone: no comment, doc, test title or script may send a reader to a file
// outside it (the design notes and specs it was built from are not shipped). Code that reads the
// optional fixtures folder beside the repository at run time is allowed; a comment that points
// readers there as documentation is not. Docs live in docs/ (ARCHITECTURE.md, API.md, ...).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SELF = 'test/unit/lint/no-outside-refs.test.ts';

// Built from parts so that this file does not match itself.
const OUTSIDE = [
  '..' + '/shared',
  'SPEC' + '.md',
  'DESIGN' + '.md',
  'STYLE' + '.md',
  'SPEC' + ' §',
  'STYLE' + ' §',
  'DESIGN' + ' "',
  'reference' + '/',
  'external' + '-apis',
  'wanderer-kills-' + 'original',
];
/** Only these may appear on a line of code (not in its comment): the run-time path of the fixtures. */
const RUNTIME_OK = ['..' + '/shared'];

const HASH_COMMENTS = /(\.sh|Makefile|\.gitignore|\.ci\/run|\.ya?ml)$/;

/** [text that documents, text that is code] of one line. */
function split(file: string, line: string): [string, string] {
  if (file.endsWith('.md')) return [line, ''];
  const t = line.trimStart();
  if (HASH_COMMENTS.test(file)) {
    if (t.startsWith('#')) return [line, ''];
    const at = line.indexOf(' #');
    return at < 0 ? ['', line] : [line.slice(at), line.slice(0, at)];
  }
  if (t.startsWith('//') || t.startsWith('*') || t.startsWith('/*')) return [line, ''];
  const at = line.indexOf(' //');
  return at < 0 ? ['', line] : [line.slice(at), line.slice(0, at)];
}

test('no comment, doc, test or script points at a file outside the repository', () => {
  const files = execFileSync('git', ['ls-files'], { cwd: ROOT, encoding: 'utf8' })
    .split('\n')
    .filter((f) => f !== '' && f !== SELF && f !== 'package-lock.json');
  const found: string[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(join(ROOT, file), 'utf8');
    } catch {
      continue; // listed but deleted in the work tree
    }
    if (text.includes('\u0000')) continue; // binary
    text.split('\n').forEach((line, i) => {
      const [doc, code] = split(file, line);
      for (const p of OUTSIDE) {
        if (doc.includes(p) || (code.includes(p) && !RUNTIME_OK.includes(p))) found.push(`${file}:${i + 1}: ${line.trim().slice(0, 120)}`);
      }
    });
  }
  assert.deepEqual(found, [], `point these at docs/ instead:\n${found.join('\n')}`);
});
