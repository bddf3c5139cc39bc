import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, envName, flagName } from '../../../src/config/index.js';

test('defaults apply when nothing is given', () => {
  const c = loadConfig({ env: {} });
  assert.equal(c.source, 'r2z2');
  assert.equal(c.port, 4004);
  assert.equal(c.cutoffSeconds, 3600);
  assert.equal(c.retentionHours, 168);
  assert.ok(Object.isFrozen(c));
});

test('precedence: defaults < file < env < flags', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wk-config-'));
  const file = join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({ port: 1111, cutoffSeconds: 10, workers: 3 }));
  const c = loadConfig({
    configFile: file,
    env: { WK_PORT: '2222', WK_CUTOFF_SECONDS: '20' },
    flags: { port: '3333' },
  });
  assert.equal(c.port, 3333);
  assert.equal(c.cutoffSeconds, 20);
  assert.equal(c.workers, 3);
});

test('PORT is honoured and WK_PORT wins over it', () => {
  assert.equal(loadConfig({ env: { PORT: '5000' } }).port, 5000);
  assert.equal(loadConfig({ env: { PORT: '5000', WK_PORT: '6000' } }).port, 6000);
});

test('every invalid value is reported at once', () => {
  assert.throws(
    () =>
      loadConfig({
        env: { WK_SOURCE: 'kafka', WK_PORT: '70000', WK_WORKERS: '1.5' },
        flags: { esiUrl: 'ftp://x', cutoffSeconds: 'soon' },
      }),
    (err: Error & { code?: string }) => {
      assert.equal(err.code, 'ERR_CONFIG_INVALID');
      for (const part of ['WK_SOURCE', 'WK_PORT', 'WK_WORKERS', '--esi-url', '--cutoff-seconds']) {
        assert.ok(err.message.includes(part), `message names ${part}: ${err.message}`);
      }
      return true;
    },
  );
});

test('unknown keys in the config file are rejected', () => {
  const dir = mkdtempSync(join(tmpdir(), 'wk-config-'));
  const file = join(dir, 'c.json');
  writeFileSync(file, JSON.stringify({ prot: 1 }));
  assert.throws(() => loadConfig({ configFile: file, env: {} }), /unknown key "prot"/);
  writeFileSync(file, '{not json');
  assert.throws(() => loadConfig({ configFile: file, env: {} }), /config file/);
});

test('names of env vars and flags derive from the key', () => {
  assert.equal(envName('cutoffSeconds'), 'WK_CUTOFF_SECONDS');
  assert.equal(flagName('r2z2Url'), 'r2z2-url');
});
