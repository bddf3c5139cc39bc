// `wkills bench <ingest|fanout|rest|backfill|all>`: each scenario is a script under bench/ that
// starts the real server (or pipeline) and its baseline in the same run and prints a table (and
// JSON with --json) with the machine, Node version and git commit. Scenarios run one after
// another, never together: they would share the two cores and skew each other.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { WkError } from '../core/errors.js';

const SCENARIOS = {
  ingest: 'bench/ingest/run.ts',
  rest: 'bench/rest/run.ts',
  fanout: 'bench/fanout/run.ts',
  sse: 'bench/push/run.ts',
  webhooks: 'bench/push/run.ts',
  abuse: 'bench/abuse/run.ts',
  cluster: 'bench/cluster/run.ts',
  soak: 'bench/soak/run.ts',
  telemetry: 'bench/telemetry/run.ts',
  backfill: 'bench/backfill/run.ts',
} as const;
/** Scenarios whose script serves several: the name is passed as its first argument. */
const NAMED: ReadonlySet<string> = new Set(['sse', 'webhooks']);
// Built (dist/src/cli/bench.js): the scenarios are the compiled dist/bench/…/run.js, run with
// plain node; from the sources (tsx), the .ts files through tsx.
const COMPILED = import.meta.url.endsWith('.js');
type Scenario = keyof typeof SCENARIOS;

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('bench: cannot find the repository root (package.json)');
    dir = up;
  }
  return dir;
}

function runScript(root: string, script: string, args: readonly string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    // From a checkout the scenarios run through tsx (a bench measures exactly the sources of the
    // commit it reports); an installed, built copy runs the compiled ones without dev dependencies.
    const node = COMPILED
      ? [fileURLToPath(new URL(`../../${script.replace(/\.ts$/, '.js')}`, import.meta.url))]
      : ['--import', 'tsx', join(root, script)];
    const child = spawn(process.execPath, [...node, ...args], { cwd: root, stdio: 'inherit' });
    child.once('error', reject);
    child.once('exit', (code) => resolve(code ?? 1));
  });
}

export function addBenchCommand(program: Command): void {
  program
    .command('bench')
    .description('measure the real server against a plain baseline in the same run (see docs/PERFORMANCE.md)')
    .argument('<scenario>', `${Object.keys(SCENARIOS).join(' | ')} | all`)
    .argument('[args...]', 'passed to the scenario (e.g. --duration 10 --json); put them after --')
    .allowUnknownOption(true)
    .action(async (scenario: string, args: string[]) => {
      // 'all' leaves out the soak: it runs for many minutes (run it on its own).
      const names: Scenario[] =
        scenario === 'all' ? (Object.keys(SCENARIOS) as Scenario[]).filter((n) => n !== 'soak') : [scenario as Scenario];
      for (const name of names) {
        if (!Object.hasOwn(SCENARIOS, name)) {
          throw new WkError(
            'ERR_CONFIG_INVALID',
            `invalid configuration:\n  - bench scenario must be one of ${Object.keys(SCENARIOS).join(', ')}, all (got ${JSON.stringify(scenario)})`,
          );
        }
      }
      const root = repoRoot();
      let failed = 0;
      for (const name of names) {
        const code = await runScript(root, SCENARIOS[name], NAMED.has(name) ? [name, ...args] : args);
        if (code !== 0) failed++;
      }
      if (failed > 0) process.exitCode = 1;
    });
}
