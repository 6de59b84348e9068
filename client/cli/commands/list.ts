import type { Task, TaskState } from '../../../shared/gen/baton/v1/task';
import { MAX_PAGE_SIZE } from '../../../shared/limits';
import type { BatonClient } from '../../client';
import { parseTaskState } from '../../task-state-names';
import { EXIT_OK } from '../cli-io';
import type { CliCommand, CommandContext } from '../command';
import { printCommandHelp, withClient } from '../command-support';
import { formatTaskTable, taskSummaryToJson } from '../format';
import { GLOBAL_OPTIONS, resolveGlobalSettings } from '../global-options';
import { asUsageError, optionalInteger, parseCommandArgs, takePositionals } from '../parse-command-args';
import { UsageError } from '../usage-error';

const NAME = 'list';

/** Rows shown without `--limit`. */
export const DEFAULT_LIST_LIMIT = 50;

const OPTIONS = {
  ...GLOBAL_OPTIONS,
  state: { type: 'string' },
  queue: { type: 'string' },
  type: { type: 'string' },
  limit: { type: 'string' },
} as const;

/** `baton list`: the newest tasks, optionally filtered, as a table or JSON lines. */
export const listCommand: CliCommand = {
  name: NAME,
  synopsis: 'list',
  summary: 'list tasks, newest first',
  optionsHelp: `  --state S   only tasks in state S: scheduled, queued, running, succeeded, dead, canceled
  --queue Q   only tasks of queue Q
  --type T    only tasks of type T
  --limit N   show at most N tasks (default ${DEFAULT_LIST_LIMIT})
`,
  run: runList,
};

interface ListQuery {
  readonly queue?: string | undefined;
  readonly state?: TaskState | undefined;
  readonly type?: string | undefined;
  readonly limit: number;
  readonly signal?: AbortSignal | undefined;
}

async function runList(args: string[], context: CommandContext): Promise<number> {
  const { io } = context;
  const { values, positionals } = parseCommandArgs(NAME, args, OPTIONS);
  if (values.help) return printCommandHelp(io, listCommand);
  const settings = resolveGlobalSettings(context.leading, values, io.env);
  takePositionals(NAME, positionals, []);
  const limit = optionalInteger(NAME, values.limit, '--limit', 0) ?? DEFAULT_LIST_LIMIT;
  if (limit === 0) throw new UsageError('--limit: expected at least 1', NAME);
  const { state: stateName } = values;
  const state = stateName === undefined ? undefined : asUsageError(NAME, () => parseTaskState(stateName, '--state'));
  const query: ListQuery = { queue: values.queue, state, type: values.type, limit, signal: io.signal };

  return withClient(settings, async (client) => {
    const { tasks, more } = await fetchTasks(client, query);
    if (settings.json) {
      io.stdout(tasks.map((task) => `${JSON.stringify(taskSummaryToJson(task))}\n`).join(''));
    } else {
      io.stdout(tasks.length === 0 ? 'no tasks\n' : formatTaskTable(tasks));
      if (more) io.stderr(`showing the newest ${tasks.length}; use --limit to see more\n`);
    }
    return EXIT_OK;
  });
}

/** Reads pages until `limit` tasks or the last page. */
async function fetchTasks(client: BatonClient, query: ListQuery): Promise<{ tasks: Task[]; more: boolean }> {
  const tasks: Task[] = [];
  let pageToken = '';
  for (;;) {
    const pageSize = Math.min(query.limit - tasks.length, MAX_PAGE_SIZE);
    const { queue, state, type, signal } = query;
    const page = await client.list({ queue, state, type, signal, pageSize, pageToken });
    tasks.push(...page.tasks.slice(0, pageSize));
    pageToken = page.nextPageToken;
    if (pageToken === '' || page.tasks.length === 0) return { tasks, more: false };
    if (tasks.length >= query.limit) return { tasks, more: true };
  }
}
