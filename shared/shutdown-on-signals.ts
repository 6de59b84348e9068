import type { Logger } from './logger';

/**
 * For entry points only (library code never touches process signals): the first SIGTERM or
 * SIGINT runs `close` (a graceful shutdown) and resolves with 0, or 1 if it failed; a second
 * signal exits at once with 130.
 * @param closing what the log line says is happening, e.g. "draining".
 */
export function shutdownOnSignals(logger: Logger, closing: string, close: () => Promise<void>): Promise<number> {
  return new Promise((resolve) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals): void => {
      signals += 1;
      if (signals > 1) {
        logger.warn({ signal }, 'second signal: exiting now');
        process.exit(130);
      }
      logger.info({ signal }, `${closing} (send again to force)`);
      close().then(
        () => resolve(0),
        (err: unknown) => {
          logger.error({ err }, 'shutdown failed');
          resolve(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
}
