// ESLint flat config: typescript-eslint strict + type-aware rules, and the stage import arrows of
// docs/ARCHITECTURE.md#stages-and-arrows enforced by eslint-plugin-boundaries. `make lint` runs it.
import { resolve } from 'node:path';
import tseslint from 'typescript-eslint';
import boundaries from 'eslint-plugin-boundaries';

const ROOT = import.meta.dirname;

/** The stages: one folder each under src/; they never import each other (cluster is on its way). */
const STAGES = ['feeds', 'pipeline', 'enrich', 'store', 'fanout', 'ingest', 'cluster'];
const BASE = ['core', 'config', 'telemetry'];
/** net/ is the one outbound HTTP layer (client, policies, limiters): a library every stage may use, like core. */
const LIBS = ['net'];

const to = (...types) => ({ to: { element: { types } } });
const from = (...types) => ({ element: { types } });
/** Packages (node_modules) and node:* builtins. */
const PACKAGES = { to: { module: { origin: ['external', 'core'] } } };
const NODE_BUILTINS = { to: { module: { origin: 'core' } } };

// A file belongs to the innermost folder element: src/<stage>/x.ts is that stage, src/app.ts is 'app'.
const ELEMENTS = [
  // test/fixtures/lint/src/<stage>/ files stand for that stage in test/unit/lint/boundaries.test.ts.
  ...[...BASE, ...LIBS, ...STAGES, 'http', 'sim', 'cli'].map((type) => ({
    type,
    pattern: [`src/${type}`, `test/fixtures/lint/src/${type}`],
    partialMatch: false,
  })),
  { type: 'app', pattern: 'src', partialMatch: false },
  { type: 'bench', pattern: 'bench', partialMatch: false },
];
/** Worker thread entry points: they load in a fresh isolate, so they may only reach pure modules. */
const FILES = [{ category: 'worker', pattern: '**/*.worker.ts' }];

/** The design's arrows (docs/ARCHITECTURE.md#stages-and-arrows); anything not listed is an error. */
const POLICIES = [
  { from: from('core'), allow: NODE_BUILTINS },
  { from: from('config'), allow: [to('core'), PACKAGES] },
  { from: from('telemetry'), allow: [to('core', 'config'), PACKAGES] },
  { from: from(...LIBS), allow: [to(...BASE), PACKAGES] },
  { from: from(...STAGES), allow: [to(...BASE, ...LIBS), PACKAGES] },
  // The worker side of the pipeline runs the enricher's pure client (no main-thread state).
  {
    from: { element: { type: 'pipeline' }, file: { path: '**/src/pipeline/worker-*.ts' } },
    allow: { to: { file: { path: '**/src/enrich/worker-enricher.ts' } } },
  },
  {
    from: from('http'),
    allow: [to(...BASE, ...LIBS), PACKAGES, { to: { element: { types: ['store', 'fanout'] } }, dependency: { kind: 'type' } }],
  },
  { from: from('sim'), allow: [to('core'), PACKAGES] },
  { from: from('cli'), allow: [to('app', 'config', 'telemetry', 'sim', 'bench', 'core', ...LIBS), PACKAGES] },
  { from: from('app'), allow: [to(...BASE, ...LIBS, ...STAGES, 'http', 'sim'), PACKAGES] },
  {
    from: { file: { categories: 'worker' } },
    disallow: to(
      ...BASE.filter((t) => t !== 'core'),
      ...LIBS,
      ...STAGES.filter((t) => t !== 'pipeline' && t !== 'enrich'),
      'http',
      'sim',
      'cli',
      'app',
    ),
  },
];

export default tseslint.config(
  // test/fixtures/lint/ holds deliberate violations: only test/unit/lint/ lints them (ignore: false).
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'coverage/**', '.tmp/**', 'bench/results/**', 'test/fixtures/lint/**'] },
  {
    files: ['**/*.ts'],
    extends: [...tseslint.configs.strictTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: ROOT } },
    rules: {
      // Numbers, booleans and null in messages and keys are deliberate: `${seq}` reads better than String(seq).
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true, allowNullish: true }],
      // `(x) => void-call()` arrow shorthands (event handlers, cleanups) are the codebase's style.
      // ... and so is `return reply(...)` as an early exit from a void handler.
      '@typescript-eslint/no-confusing-void-expression': ['error', { ignoreArrowShorthand: true, ignoreVoidReturningFunctions: true }],
      // JSON is spliced as text on the hot paths: numbers and booleans concatenate into it on purpose.
      '@typescript-eslint/restrict-plus-operands': ['error', { allowNumberAndString: true, allowBoolean: true }],
      // `_name` marks a parameter or binding kept for its position or its side effect.
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
      // noUncheckedIndexedAccess types every indexed read `T | undefined`; hot loops assert an index proven in range.
      '@typescript-eslint/no-non-null-assertion': 'off',
      // Values that cross threads, sockets and files are checked at run time even where the static type says they cannot be wrong.
      '@typescript-eslint/no-unnecessary-condition': 'off',
      // Interface methods are async by contract (start/stop); an implementation with nothing to await stays async.
      '@typescript-eslint/require-await': 'off',
      // Passing a caught `unknown` on to reject() forwards an error; it does not invent one.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
    },
  },
  {
    files: ['src/**/*.ts', 'test/fixtures/lint/**/*.ts'],
    plugins: { boundaries },
    settings: {
      'boundaries/elements': ELEMENTS,
      'boundaries/files': FILES,
      'import/resolver': { [resolve(ROOT, 'scripts/lint/ts-resolver.cjs')]: {} },
    },
    rules: {
      // checkAllOrigins: packages and node:* builtins go through the policies too (core may use builtins only).
      'boundaries/dependencies': ['error', { default: 'disallow', checkAllOrigins: true, checkUnknownLocals: true, policies: POLICIES }],
    },
  },
  {
    files: ['test/**/*.ts', 'bench/**/*.ts', 'scripts/**/*.ts'],
    rules: {
      // node:test's test() and describe() return promises that the runner itself awaits.
      '@typescript-eslint/no-floating-promises': [
        'error',
        { allowForKnownSafeCalls: [{ from: 'package', name: ['test', 'describe', 'it', 'suite'], package: 'node:test' }] },
      ],
      // Tests and load drivers read parsed JSON answers loosely: the assertions that follow are the type check.
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // Walking the OpenAPI document and result tables with `any` keeps these readers short.
      '@typescript-eslint/no-explicit-any': 'off',
      // Generic fixture readers are typed casts of parsed files; `=== true` states the expected value.
      '@typescript-eslint/no-unnecessary-type-parameters': 'off',
      '@typescript-eslint/no-unnecessary-boolean-literal-compare': 'off',
      // ws hands messages over as RawData, a Buffer at run time: String(data) is its text.
      '@typescript-eslint/no-base-to-string': 'off',
    },
  },
);
