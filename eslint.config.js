// ESLint flat config: typescript-eslint strict + type-aware rules, and the stage import arrows of
// docs/ARCHITECTURE.md#stages-and-arrows enforced by eslint-plugin-boundaries. `make lint` runs it.
import { resolve } from 'node:path';
import tseslint from 'typescript-eslint';
import boundaries from 'eslint-plugin-boundaries';

const ROOT = import.meta.dirname;

/** The stages: one folder each under src/ (ingest, net and cluster are on their way). */
const STAGES = ['feeds', 'pipeline', 'enrich', 'store', 'fanout', 'ingest', 'net', 'cluster'];
const el = (type) => ({ to: { element: { type } } });

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'data/**', 'coverage/**'] },
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
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
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
