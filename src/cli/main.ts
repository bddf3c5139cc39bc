#!/usr/bin/env node
// wkills: serve | sim | sde import | db (stats|vacuum) | bench. Every command takes
// the config flags of the schema (also WK_* variables and --config FILE); invalid configuration
// fails at start with every problem listed and exit code 2.
import { Command } from 'commander';
import { hasCode } from '../core/errors.js';
import { addConfigOptions, configFromOptions } from './options.js';
import { runServe } from './serve.js';
import { runSim, addSimOptions } from './sim.js';
import { runSdeImport, runDb } from './db.js';
import { addBenchCommand } from './bench.js';
import { addMetricsCommand } from './metrics.js';
import { runDeadLetters } from './dead-letters.js';
import { addBackfillCommand } from './backfill.js';

const program = new Command().name('wkills').description('wanderer-kills: real-time EVE Online killmail service').showHelpAfterError();

addConfigOptions(program.command('serve').description('serve the live feed (or --source sim) over REST and WebSocket')).action(
  (opts: Record<string, unknown>) => runServe(configFromOptions(opts)),
);

addSimOptions(program.command('sim').description('run the simulator alone: R2Z2, RedisQ, ESI and zKB API on loopback')).action(
  (opts: Record<string, unknown>) => runSim(opts),
);

const sde = program.command('sde').description('EVE static data');
addConfigOptions(
  sde
    .command('import')
    .argument('<source>', 'folder, file or URL of fuzzwork invTypes.csv/invGroups.csv/mapSolarSystems.csv')
    .description('load ship types, groups and systems into the database'),
).action((source: string, opts: Record<string, unknown>) => runSdeImport(configFromOptions(opts), source));

addConfigOptions(
  program
    .command('db')
    .argument('<action>', 'stats | vacuum | dead-letters')
    .argument('[what]', 'dead-letters: list | retry')
    .description('inspect or compact the database; list or replay dead letters'),
).action((action: string, what: string | undefined, opts: Record<string, unknown>) =>
  action === 'dead-letters' ? runDeadLetters(configFromOptions(opts), what) : runDb(configFromOptions(opts), action),
);

addBenchCommand(program);
addMetricsCommand(program);
addBackfillCommand(program);

program.parseAsync(process.argv).catch((err: unknown) => {
  if (hasCode(err, 'ERR_CONFIG_INVALID')) {
    process.stderr.write(`wkills: ${(err as Error).message}\n`);
    process.exit(2);
  }
  if (hasCode(err, 'ERR_SDE_IMPORT') || hasCode(err, 'ERR_DB_IN_USE')) {
    // The operator's input (or timing) is wrong, not the program: the message says what to fix.
    process.stderr.write(`wkills: ${(err as Error).message}\n`);
    process.exit(1);
  }
  process.stderr.write(`wkills: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
