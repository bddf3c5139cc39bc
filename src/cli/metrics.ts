// `wkills metrics docs [--write FILE]`: the metric reference from the registry, printed or
// written into FILE between its markers (docs/OPERATIONS.md).
import { readFileSync, writeFileSync } from 'node:fs';
import type { Command } from 'commander';
import { metricsDoc, withMetricsDoc } from '../telemetry/metrics-doc.js';

export function addMetricsCommand(program: Command): void {
  program
    .command('metrics')
    .argument('<action>', 'docs')
    .option('--write <file>', 'replace the generated block of this Markdown file instead of printing')
    .description('the metric families the service exports (type, unit, labels, meaning)')
    .action((action: string, opts: { write?: string }) => {
      if (action !== 'docs') throw new Error(`unknown metrics action ${JSON.stringify(action)}: use docs`);
      if (opts.write === undefined) process.stdout.write(metricsDoc() + '\n');
      else writeFileSync(opts.write, withMetricsDoc(readFileSync(opts.write, 'utf8')));
    });
}
