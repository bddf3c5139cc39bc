// eslint-module-utils resolver (interface v2) for eslint-plugin-boundaries: our sources import
// './x.js' (NodeNext ESM) while the file on disk is './x.ts'. Relative specifiers are mapped to
// the .ts file when it exists; packages and node: builtins go to the stock node resolver.
'use strict';
const { existsSync } = require('node:fs');
const { dirname, resolve } = require('node:path');
const { builtinModules } = require('node:module');
const nodeResolver = require('eslint-import-resolver-node');

exports.interfaceVersion = 2;

exports.resolve = function resolveTs(source, file, config) {
  if (source.startsWith('node:') || builtinModules.includes(source)) return { found: true, path: null };
  if (source.startsWith('.')) {
    const base = resolve(dirname(file), source);
    for (const candidate of [base.replace(/\.js$/, '.ts'), base.replace(/\.mjs$/, '.mts'), base, `${base}.ts`, resolve(base, 'index.ts')]) {
      if (existsSync(candidate) && !candidate.endsWith('/')) return { found: true, path: candidate };
    }
    return { found: false };
  }
  return nodeResolver.resolve(source, file, config ?? {});
};
