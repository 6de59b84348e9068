import { sleep } from '../../../shared/abort';
import { BatonError } from '../../../shared/errors';
import type { GetStatsResponse } from '../../../shared/gen/baton/v1/stats';
import type { BatonClient } from '../../client';
import { EXIT_OK, type CliIo } from '../cli-io';
import type { CliCommand, CommandContext } from '../command';
import { printCommandHelp, withClient } from '../command-support';
import { GLOBAL_OPTIONS, resolveGlobalSettings } from '../global-options';
import { optionalDurationMs, parseCommandArgs, takePositionals } from '../parse-command-args';
import { formatStatsTables, statsToJson } from '../stats-format';
import { UsageError } from '../usage-error';

const NAME = 'stats';

/** How often `--watch` refreshes unless told. */
export const DEFAULT_WATCH_INTERVAL_MS = 2000;
/** Refreshing faster would only load the coordinator. */
const MIN_WATCH_INTERVAL_MS = 100;

/** Moves the cursor home and clears the screen: the next snapshot replaces the last one. */
const CLEAR_SCREEN = '\x1b[H\x1b[2J';

/** Errors a watch lives through (the coordinator restarting), showing them until it is back. */
const TRANSIENT_CODES: ReadonlySet<string> = new Set(['UNAVAILABLE', 'DEADLINE_EXCEEDED']);

const OPTIONS = { ...GLOBAL_OPTIONS, watch: { type: 'boolean' } } as const;

/** `baton stats`: queues and workers now, once or refreshed until interrupted. */
export const statsCommand: CliCommand = {
  name: NAME,
  synopsis: 'stats',
  summary: 'show each queue (tasks by state, rates, oldest ready) and each connected worker',
  optionsHelp: `  --watch [INTERVAL]  refresh every INTERVAL (default ${DEFAULT_WATCH_INTERVAL_MS / 1000}s) until interrupted: in place
                      on a terminal, else snapshots one after another (a blank line between
                      tables; one line each with --json)
`,
  run: runStats,
};

async function runStats(args: string[], context: CommandContext): Promise<number> {
  const { io } = context;
  const { values, positionals } = parseCommandArgs(NAME, splitWatchValue(args), OPTIONS);
  if (values.help) return printCommandHelp(io, statsCommand);
  const settings = resolveGlobalSettings(context.leading, values, io.env);
  const [interval] = takePositionals(NAME, positionals, ['INTERVAL'], 0);
  if (interval !== undefined && !values.watch) throw new UsageError(`unexpected argument '${interval}' (an interval goes after --watch)`, NAME);
  const intervalMs = optionalDurationMs(NAME, interval, '--watch') ?? DEFAULT_WATCH_INTERVAL_MS;
  if (intervalMs < MIN_WATCH_INTERVAL_MS) throw new UsageError(`--watch: expected an interval of at least ${MIN_WATCH_INTERVAL_MS}ms, got '${interval ?? ''}'`, NAME);
  const render = (stats: GetStatsResponse): string => (settings.json ? `${JSON.stringify(statsToJson(stats))}\n` : formatStatsTables(stats));
  return withClient(settings, async (client) => {
    if (!values.watch) {
      io.stdout(render(await client.stats({ signal: io.signal })));
      return EXIT_OK;
    }
    return watchStats(client, io, { intervalMs, render, json: settings.json });
  });
}

/** `--watch=5s` is `--watch 5s`: parseArgs would refuse a value for a boolean flag. */
function splitWatchValue(args: readonly string[]): string[] {
  return args.flatMap((arg) => (arg.startsWith('--watch=') ? ['--watch', arg.slice('--watch='.length)] : [arg]));
}

interface WatchOptions {
  readonly intervalMs: number;
  readonly render: (stats: GetStatsResponse) => string;
  readonly json: boolean;
}

/**
 * Shows a snapshot every interval until `io.signal` aborts (SIGINT, or standard output
 * closed), which ends the watch with EXIT_OK: interrupting is how a watch is meant to stop.
 * While the coordinator is unreachable the snapshot says so and the watch goes on.
 * @throws BatonError for any other refusal (credentials, say).
 */
async function watchStats(client: BatonClient, io: CliIo, options: WatchOptions): Promise<number> {
  const { signal } = io;
  let shown = 0;
  try {
    for (;;) {
      const text = await snapshotText(client, signal, options);
      if (io.stdoutIsTty) io.stdout(`${CLEAR_SCREEN}${text}`);
      else io.stdout(shown > 0 && !options.json ? `\n${text}` : text);
      shown += 1;
      await sleep(options.intervalMs, signal);
    }
  } catch (err: unknown) {
    if (signal?.aborted) return EXIT_OK;
    throw err;
  }
}

async function snapshotText(client: BatonClient, signal: AbortSignal | undefined, options: WatchOptions): Promise<string> {
  try {
    return options.render(await client.stats({ signal }));
  } catch (err: unknown) {
    if (!(err instanceof BatonError) || !TRANSIENT_CODES.has(err.code) || signal?.aborted) throw err;
    const message = `${err.code}: ${err.message}`;
    return options.json ? `${JSON.stringify({ error: message })}\n` : `coordinator unreachable (${message.replace(/\.$/, '')}); retrying every ${options.intervalMs}ms\n`;
  }
}
