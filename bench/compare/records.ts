/** One scenario run of one system in one repetition: what the report and the JSON are made of. */
import type { PeakRss } from './peak-rss';
import type { Figures } from './scenarios';
import { spreadOf, type Spread } from './spread';

export interface RunRecord {
  /** 1-based. */
  readonly rep: number;
  /** Scenario id. */
  readonly scenario: string;
  readonly system: string;
  readonly figures?: Figures;
  readonly rss?: PeakRss;
  /** Why the run failed; then it has no figures. */
  readonly error?: string;
}

/** `pick` over the runs of one scenario and system, as median and min–max. */
export function spreadFor(
  records: readonly RunRecord[],
  scenario: string,
  system: string,
  pick: (record: RunRecord) => number | undefined,
): Spread | undefined {
  const values = records.filter((r) => r.scenario === scenario && r.system === system).map(pick);
  return spreadOf(values.filter((v): v is number => v !== undefined));
}

/** The rate of a throughput run. */
export const rateOf = (record: RunRecord): number | undefined => (record.figures?.kind === 'rate' ? record.figures.tasksPerSecond : undefined);

/** The largest worker's peak RSS in KiB. */
export const largestWorkerKiB = (record: RunRecord): number | undefined => (record.rss && record.rss.workersKiB.length > 0 ? Math.max(...record.rss.workersKiB) : undefined);
