/**
 * Everything the CLI touches outside itself, so that it runs in-process in tests and the
 * entry point (bin/) alone owns the real process.
 */
export interface CliIo {
  /** Writes `s` to standard output as is; the CLI includes the newlines. */
  readonly stdout: (s: string) => void;
  /** Writes `s` to standard error as is. */
  readonly stderr: (s: string) => void;
  /**
   * The environment (`process.env` in the entry point); only BATON_COORDINATOR, BATON_TLS_CA,
   * BATON_TLS_CERT, BATON_TLS_KEY and BATON_TOKEN are read.
   */
  readonly env: Readonly<Record<string, string | undefined>>;
  /**
   * Aborted on SIGINT/SIGTERM by the entry point, and when standard output closes: pending
   * calls and waits stop.
   */
  readonly signal?: AbortSignal;
  /** True when standard output is a terminal: `stats --watch` then redraws in place. Default false. */
  readonly stdoutIsTty?: boolean;
}

/** The command did what was asked; for `wait` and `submit --wait`, the task SUCCEEDED. */
export const EXIT_OK = 0;
/**
 * The coordinator refused (any of its errors, INVALID_ARGUMENT for an option it does not accept
 * included) or could not be reached, or the awaited task ended DEAD or CANCELED.
 */
export const EXIT_FAILURE = 1;
/** The command line was wrong in a way found locally (bad JSON, unparsable flag); nothing was sent. */
export const EXIT_USAGE = 2;
/** Interrupted through `CliIo.signal` (128 + SIGINT, as shells report it). */
export const EXIT_INTERRUPTED = 130;
