// pino to stdout (JSON). Benches and tests pass level 'silent' so nothing is written.
import { pino, type Logger } from 'pino';

export type { Logger };

/** `fd` 2 sends the lines to stderr (commands whose stdout is their result, e.g. backfill). */
export function createLogger(level: string, name = 'wkills', fd: 1 | 2 = 1): Logger {
  const opts = { name, level, base: { pid: process.pid } };
  return fd === 1 ? pino(opts) : pino(opts, pino.destination(2));
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
