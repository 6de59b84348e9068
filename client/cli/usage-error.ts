/**
 * A mistake on the command line, found before anything was sent. The CLI prints its message
 * with a pointer to the help and exits with EXIT_USAGE.
 */
export class UsageError extends Error {
  /** The command whose help fits the mistake, if any. */
  readonly command: string | undefined;

  constructor(message: string, command?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UsageError';
    this.command = command;
  }
}
