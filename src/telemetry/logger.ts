// pino to stdout: JSON lines when stdout is a file or a pipe (collectors parse them), the same
// records through pino-pretty when it is a terminal (a person reads them). Benches and tests pass
// level 'silent' so nothing is written.
import { pino, type Logger } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };

export function createLogger(level: string, name = 'wkills', tty: boolean = process.stdout.isTTY): Logger {
  const options = { name, level, base: { pid: process.pid } };
  if (!tty) return pino(options);
  // sync: a record written just before exit (a fatal error, the stop line) is not lost.
  return pino(options, pretty({ colorize: true, sync: true, translateTime: 'SYS:HH:MM:ss.l' }));
}

export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** JSON lines on stderr: for commands whose stdout is their result (`wkills backfill --json`). */
export function createStderrLogger(level: string, name: string): Logger {
  return pino({ name, level, base: { pid: process.pid } }, pino.destination(2));
}
