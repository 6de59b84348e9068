import type { Task, TaskState } from '../../../shared/gen/baton/v1/task';
import { MAX_PAGE_SIZE } from '../../../shared/limits';
import type { BatonClient } from '../../client';
import { parseTaskState } from '../../task-state-names';
import { EXIT_OK } from '../cli-io';
import type { CliCommand, CommandContext } from '../command';
import { printCommandHelp, withClient } from '../command-support';
import { formatTaskTable, taskSummaryToJson } from '../format';
import { GLOBAL_OPTIONS, resolveGlobalSettings } from '../global-options';
import { asUsageError, optionalInteger, parseCommandArgs, takePositionals, type ParsedCommandArgs } from '../parse-command-args';
import { TIME_ARGUMENT_FORMS, optionalTimeArgument } from '../time-argument';
import { UsageError } from '../usage-error';

const NAME = 'list';

/** Rows shown without `--limit`. */
export const DEFAULT_LIST_LIMIT = 50;

const OPTIONS = {
  ...GLOBAL_OPTIONS,
  state: { type: 'string' },
  queue: { type: 'string' },
  type: { type: 'string' },
  schedule: { type: 'string' },
  since: { type: 'string' },
  until: { type: 'string' },
  limit: { type: 'string' },
} as const;

/** `baton list`: the newest tasks, optionally filtered, as a table or JSON lines. */
export const listCommand: CliCommand = {
  name: NAME,
  synopsis: 'list',
  summary: 'list tasks, newest first',
  optionsHelp: `  --state S         only tasks in state S: scheduled, queued, running, succeeded, dead, canceled
  --queue Q         only tasks of queue Q
  --type T          only tasks of type T
  --schedule NAME   only tasks submitted by schedule NAME
  --since TIME      only tasks created at or after TIME
  --until TIME      only tasks created before TIME
  --limit N         show at most N tasks (default ${DEFAULT_LIST_LIMIT})

TIME is ${TIME_ARGUMENT_FORMS}.
An ISO date alone is midnight UTC; a time without a zone is local time.
`,
  run: runList,
};

/** A list command line, checked: the filters and how many tasks to show. */
export interface ListQuery {
  readonly queue?: string | undefined;
  readonly state?: TaskState | undefined;
  readonly type?: string | undefined;
  readonly schedule?: string | undefined;
  readonly createdAfter?: Date | undefined;
  readonly createdBefore?: Date | undefined;
  readonly limit: number;
  readonly signal?: AbortSignal | undefined;
}

async function runList(args: string[], context: CommandContext): Promise<number> {
  const { io } = context;
  const { values, positionals } = parseCommandArgs(NAME, args, OPTIONS);
  if (values.help) return printCommandHelp(io, listCommand);
  const settings = resolveGlobalSettings(context.leading, values, io.env);
  takePositionals(NAME, positionals, []);
  const query = toListQuery(values, Date.now(), io.signal);

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

/**
 * The filters of a list command line, with relative times counted back from `nowMs`.
 * @throws UsageError naming the flag.
 */
export function toListQuery(values: ParsedCommandArgs<typeof OPTIONS>['values'], nowMs: number, signal?: AbortSignal): ListQuery {
  const limit = optionalInteger(NAME, values.limit, '--limit', 0) ?? DEFAULT_LIST_LIMIT;
  if (limit === 0) throw new UsageError('--limit: expected at least 1', NAME);
  const { state: stateName } = values;
  const state = stateName === undefined ? undefined : asUsageError(NAME, () => parseTaskState(stateName, '--state'));
  const createdAfter = optionalTimeArgument(NAME, values.since, '--since', nowMs);
  const createdBefore = optionalTimeArgument(NAME, values.until, '--until', nowMs);
  if (createdAfter && createdBefore && createdAfter.getTime() >= createdBefore.getTime()) {
    throw new UsageError(`--since (${createdAfter.toISOString()}) must be before --until (${createdBefore.toISOString()})`, NAME);
  }
  return { queue: values.queue, state, type: values.type, schedule: values.schedule, createdAfter, createdBefore, limit, signal };
}

/** Reads pages until `limit` tasks or the last page. */
async function fetchTasks(client: BatonClient, query: ListQuery): Promise<{ tasks: Task[]; more: boolean }> {
  const tasks: Task[] = [];
  let pageToken = '';
  for (;;) {
    const pageSize = Math.min(query.limit - tasks.length, MAX_PAGE_SIZE);
    const { limit: _limit, ...filter } = query;
    const page = await client.list({ ...filter, pageSize, pageToken });
    tasks.push(...page.tasks.slice(0, pageSize));
    pageToken = page.nextPageToken;
    if (pageToken === '' || page.tasks.length === 0) return { tasks, more: false };
    if (tasks.length >= query.limit) return { tasks, more: true };
  }
}
