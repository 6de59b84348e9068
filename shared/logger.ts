import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  /** pino level: trace, debug, info, warn, error, fatal or silent. Default info. */
  readonly level?: string;
  /** The process role, e.g. "coordinator" or "worker". */
  readonly name: string;
  /** Where lines go; default stdout. */
  readonly destination?: pino.DestinationStream;
}

/** A pino JSON logger. Library code takes a child of it (`logger.child({ component })`). */
export function createLogger(options: LoggerOptions): Logger {
  const base = { name: options.name, pid: process.pid };
  const pinoOptions = { level: options.level ?? 'info', base, timestamp: pino.stdTimeFunctions.isoTime };
  return options.destination ? pino(pinoOptions, options.destination) : pino(pinoOptions);
}

/** A logger that drops everything, for tests and embedders who bring none. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
