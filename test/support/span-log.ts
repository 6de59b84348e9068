import { readRunLog, type RunRecord } from './run-log';

/** A line the fixture handler `span` appends when it starts or ends (test/fixtures/handlers.cjs). */
export interface SpanRecord extends RunRecord {
  readonly event: 'start' | 'end';
  /** Date.now() in the worker when the line was written. */
  readonly atMs: number;
}

/** The `span` lines of a run log, in the order they were appended. */
export function readSpanLog(path: string): SpanRecord[] {
  return readRunLog(path).filter((record): record is SpanRecord => 'event' in record);
}

/**
 * Replays start and end lines in file order (appends are atomic, so the order is the order
 * in which handlers really started and ended): the most handlers ever running at once.
 */
export function maxSimultaneous(records: readonly SpanRecord[]): number {
  let running = 0;
  let max = 0;
  for (const record of records) {
    running += record.event === 'start' ? 1 : -1;
    max = Math.max(max, running);
  }
  return max;
}
