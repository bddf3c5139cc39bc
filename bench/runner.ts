// How a bench script starts another script: through tsx when it runs from the TypeScript
// sources (a checkout, `make bench`), with plain node when it runs compiled (dist/, from the built
// `wkills bench`), so an installed copy benches without any dev dependency.
import { fileURLToPath } from 'node:url';

/** True when this module was loaded as compiled JavaScript (dist/bench/…). */
export const COMPILED = import.meta.url.endsWith('.js');

/** Node flags a child needs to load TypeScript sources (none when compiled). */
export const TS_EXEC_ARGV: readonly string[] = COMPILED ? [] : ['--import', 'tsx'];

/** The file to run for a sibling script named by its `.ts` URL: the `.js` next to us when compiled. */
export function script(tsUrl: URL): string {
  const path = fileURLToPath(tsUrl);
  return COMPILED ? path.replace(/\.ts$/, '.js') : path;
}

/** `node` arguments that run the wkills CLI of this same build (src via tsx, or dist). */
export function cliArgs(): string[] {
  return [...TS_EXEC_ARGV, script(new URL('../src/cli/main.ts', import.meta.url))];
}
