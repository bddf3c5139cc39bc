// pino to stdout (JSON). Benches and tests pass level 'silent' so nothing is written.
import { pino, type Logger } from 'pino';

export type { Logger };

export function createLogger(level: string, name = 'wkills'): Logger {
  return pino({ name, level, base: { pid: process.pid } });
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
