import { TaskState, type Task } from '../../shared/gen/baton/v1/task';
import { taskStateName } from '../task-state-names';
import type { CliIo } from './cli-io';
import { formatProgress } from './format';

/** Back to the start of the line, then erase to its end: the next text replaces the last. */
const REWRITE = '\r\x1b[K';

/**
 * Longest line shown. Without the terminal's width, a line that wraps could not be rewritten
 * in place (`\r` goes back to the start of the last row only), so it stays under 80 columns.
 */
export const MAX_PROGRESS_LINE_CHARS = 79;

/**
 * One terminal line that shows how far a task got while `wait` (or `submit --wait`) waits,
 * rewritten in place with each watch update that changes it. Only for people: never made when
 * standard output is not a terminal or `--json` is given, so scripts see what they always saw.
 */
export class ProgressLine {
  private shown = '';

  private constructor(private readonly io: CliIo) {}

  /** A progress line when standard output is a terminal and the output is not JSON; else undefined. */
  static forTerminal(io: CliIo, settings: { readonly json: boolean }): ProgressLine | undefined {
    return io.stdoutIsTty === true && !settings.json ? new ProgressLine(io) : undefined;
  }

  /** Shows the task's state and progress, unless that is what the line shows already. */
  readonly show = (task: Task): void => {
    const text = formatProgressLine(task);
    if (text === this.shown) return;
    this.shown = text;
    this.io.stdout(`${REWRITE}${text}`);
  };

  /** Erases the line, if anything was shown, so that what is printed next starts on a clean line. */
  clear(): void {
    if (this.shown === '') return;
    this.shown = '';
    this.io.stdout(REWRITE);
  }
}

/** `running 42% resizing 3 of 7`, `queued`, `running (attempt 2 of 3)`; at most MAX_PROGRESS_LINE_CHARS. */
export function formatProgressLine(task: Task): string {
  let text: string = taskStateName(task.state);
  if (task.attempt > 1) text += ` (attempt ${task.attempt} of ${task.maxAttempts})`;
  // Progress is news while the task runs; after, the state says it all.
  if (task.progress && task.state === TaskState.TASK_STATE_RUNNING) text += ` ${formatProgress(task.progress)}`;
  // Control characters in a handler's message would move the cursor and break the rewrite.
  text = text.replace(/[\x00-\x1f\x7f]/g, ' ');
  const chars = [...text]; // code points, so that no surrogate pair is cut in half
  return chars.length > MAX_PROGRESS_LINE_CHARS ? `${chars.slice(0, MAX_PROGRESS_LINE_CHARS - 3).join('')}...` : text;
}
