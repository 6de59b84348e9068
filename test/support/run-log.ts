import { existsSync, readFileSync } from 'node:fs';

export interface RunRecord {
  readonly taskId: string;
  readonly attempt: number;
  readonly pid: number;
}

/** The runs the fixture handlers recorded (test/fixtures/handlers.cjs). */
export function readRunLog(path: string): RunRecord[] {
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as RunRecord);
}

/** Task id → how many times it ran. */
export function runCounts(records: readonly RunRecord[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const record of records) counts.set(record.taskId, (counts.get(record.taskId) ?? 0) + 1);
  return counts;
}
