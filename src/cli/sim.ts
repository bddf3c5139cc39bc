// `wkills sim`: the simulator alone, for pointing a server (or any zKillboard client) at it.
import { Command, Option } from 'commander';
import { createSimulator, validateFaults, type FaultSpec } from '../sim/index.js';
import { readFileSync } from 'node:fs';
import { WkError } from '../core/errors.js';

export function addSimOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--host <host>', 'listen address').default('127.0.0.1'))
    .addOption(new Option('--port <port>', 'listen port (0: any free port)').default('7777'))
    .addOption(new Option('--rate <kills/s>', 'kills published per second (0: only POST /_sim/publish)').default('1'))
    .addOption(new Option('--seed <n>', 'deterministic seed').default('1'))
    .option('--replay <dir>', 'replay real ESI killmails from a folder, each once, in id order')
    .option('--restamp', 'with --replay: shift kill times to the present')
    .addOption(new Option('--redisq-shape <shape>', 'RedisQ packages').choices(['inline', 'short', 'mixed']).default('inline'))
    .option('--bad-every <n>', 'every Nth entry is bad (malformed, missing field, wrong type, oversized)')
    .option('--huge-every <n>', 'every Nth kill has 1000+ attackers')
    .option('--faults <file>', 'JSON file with an array of fault specs (see src/sim/faults.ts)')
    .option('--history-days <n>', 'days of archived kills before today, served by /history/… and ESI')
    .option('--history-kills-per-day <n>', 'kills per archived day (default 50)')
    .option('--no-history-raw', 'answer 404 to /history/raw/… (clients must use the id → hash files and ESI)')
    .option('--ephemeral-entries <n>', "entries kept in /ephemeral/ (older ones 404, as past R2Z2's window)");
}

function int(name: string, v: unknown): number {
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0)
    throw new WkError(
      'ERR_CONFIG_INVALID',
      `invalid configuration:\n  - --${name}: must be a non-negative number (got ${JSON.stringify(v)})`,
    );
  return n;
}

function readFaults(file: string): FaultSpec[] {
  const value: unknown = JSON.parse(readFileSync(file, 'utf8'));
  const problems = validateFaults(value);
  if (problems.length > 0) throw new WkError('ERR_CONFIG_INVALID', `invalid configuration:\n  - ${file}: ${problems.join('\n  - ')}`);
  return value as FaultSpec[];
}

export async function runSim(opts: Record<string, unknown>): Promise<void> {
  const faults = typeof opts.faults === 'string' ? readFaults(opts.faults) : [];
  const sim = createSimulator({
    host: String(opts.host),
    port: int('port', opts.port),
    rate: int('rate', opts.rate),
    seed: int('seed', opts.seed),
    redisqShape: opts.redisqShape as 'inline' | 'short' | 'mixed',
    faults,
    ...(typeof opts.replay === 'string' && { replayDir: opts.replay, restamp: opts.restamp === true }),
    ...(opts.badEvery !== undefined && { badEvery: int('bad-every', opts.badEvery) }),
    ...(opts.hugeEvery !== undefined && { hugeEvery: int('huge-every', opts.hugeEvery) }),
    ...(opts.historyDays !== undefined && { historyDays: int('history-days', opts.historyDays) }),
    ...(opts.historyKillsPerDay !== undefined && { historyKillsPerDay: int('history-kills-per-day', opts.historyKillsPerDay) }),
    ...(opts.historyRaw === false && { historyRaw: false }),
    ...(opts.ephemeralEntries !== undefined && { maxEntries: Math.max(1, int('ephemeral-entries', opts.ephemeralEntries)) }),
  });
  const { url } = await sim.start();
  process.stdout.write(
    `simulator listening on ${url}\n  R2Z2 ${url}/ephemeral/sequence.json\n  RedisQ ${url}/listen.php\n  ESI ${url}\n  zKB API ${url}/api/\n`,
  );
  const stop = (): void => void sim.stop().then(() => process.exit(0));
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
