// REST benchmark CLI (until `wkills bench rest` lands; see rest-bench.ts):
//   node --import tsx bench/rest/run.ts [--duration 10] [--warmup 2] [--connections 32]
//        [--bulk-connections 8] [--systems 200] [--kills-per-system 50] [--tool auto|wrk|node]
//        [--servers uws,uws-cold,baseline,limit] [--scenarios system-50,...] [--rounds 1] [--json] [--check]
// --check exits 1 when a target from the issue is missed or any request failed.
import { parseArgs } from 'node:util';
import { checkTargets, markdownTable, runRestBench } from './rest-bench.js';

const { values: a } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '32' },
    'bulk-connections': { type: 'string', default: '8' },
    systems: { type: 'string', default: '200' },
    'kills-per-system': { type: 'string', default: '50' },
    tool: { type: 'string', default: 'auto' },
    servers: { type: 'string', default: 'uws,uws-cold,baseline,limit' },
    scenarios: { type: 'string', default: '' },
    rounds: { type: 'string', default: '1' },
    json: { type: 'boolean', default: false },
    check: { type: 'boolean', default: false },
  },
});
if (!['auto', 'wrk', 'node'].includes(a.tool)) throw new Error(`--tool must be auto, wrk or node (got ${a.tool})`);

const report = await runRestBench({
  durationS: Number(a.duration),
  warmupS: Number(a.warmup),
  connections: Number(a.connections),
  bulkConnections: Number(a['bulk-connections']),
  systems: Number(a.systems),
  killsPerSystem: Number(a['kills-per-system']),
  tool: a.tool as 'auto' | 'wrk' | 'node',
  servers: a.servers.split(',').filter((s) => s !== ''),
  scenarios: a.scenarios.split(',').filter((s) => s !== ''),
  rounds: Number(a.rounds),
  log: (line) => process.stderr.write(line + '\n'),
});
const m = report.machine;
process.stdout.write(
  a.json
    ? JSON.stringify(report, null, 2) + '\n'
    : `nproc ${m.nproc}, ${m.cpu}, node ${m.node}, commit ${m.commit}, load ${m.tool}, ${report.durationS} s per run\n${markdownTable(report.rows)}\n`,
);
if (a.check) {
  const missed = checkTargets(report.rows);
  if (missed.length > 0) {
    process.stderr.write(`targets missed:\n  ${missed.join('\n  ')}\n`);
    process.exitCode = 1;
  }
}
