/**
 * The comparison's Markdown tables: systems side by side, each cell the median over the
 * repetitions with min–max, each Baton figure with its ratio to BullMQ's median.
 */
import type { LatencyFigures, Percentiles } from './latency';
import { largestWorkerKiB, rateOf, spreadFor, type RunRecord } from './records';
import type { Scenario } from './scenarios';
import type { Spread } from './spread';

/** The reference every ratio is taken against. */
export const REFERENCE = 'bullmq';
/** The limit the "fraction of the transport limit" table divides by. */
const TRANSPORT = 'transport';

type Pick = (record: RunRecord) => number | undefined;

const integer = (value: number): string => Math.round(value).toLocaleString('en-US');
const millis = (value: number): string => (value < 10 ? value.toFixed(2) : value.toFixed(1));
const mebibytes = (kib: number): string => (kib / 1024).toFixed(0);

function cell(spread: Spread | undefined, format: (value: number) => string, reference: Spread | undefined): string {
  if (!spread) return '—';
  const range = spread.n > 1 ? ` (${format(spread.min)}–${format(spread.max)})` : '';
  const ratio = reference && reference.median > 0 ? ` · **${(spread.median / reference.median).toFixed(2)}×**` : '';
  return `${format(spread.median)}${range}${ratio}`;
}

function row(label: string, records: readonly RunRecord[], scenario: string, systems: readonly string[], pick: Pick, format: (v: number) => string): string {
  const reference = systems.includes(REFERENCE) ? spreadFor(records, scenario, REFERENCE, pick) : undefined;
  const cells = systems.map((system) => cell(spreadFor(records, scenario, system, pick), format, system === REFERENCE ? undefined : reference));
  return `| ${label} | ${cells.join(' | ')} |`;
}

const header = (first: string, systems: readonly string[]): string[] => [
  `| ${first} | ${systems.join(' | ')} |`,
  `| --- | ${systems.map(() => '---').join(' | ')} |`,
];

/** Tasks per second; ratio = system / BullMQ, higher is better. */
export function throughputTable(records: readonly RunRecord[], scenarios: readonly Scenario[], systems: readonly string[]): string[] {
  return [...header('tasks/s', systems), ...scenarios.map((s) => row(s.title, records, s.id, systems, rateOf, integer))];
}

const LATENCY_FIGURES: ReadonlyArray<readonly [keyof Omit<LatencyFigures, 'samples'>, string]> = [
  ['ack', 'submit acknowledged'],
  ['start', 'submit → handler start'],
  ['complete', 'submit → completion seen by the producer'],
];
const PERCENTILES: ReadonlyArray<keyof Percentiles> = ['p50', 'p90', 'p99', 'max'];

/** Milliseconds; ratio = system / BullMQ, lower is better. */
export function latencyTable(records: readonly RunRecord[], scenario: Scenario, systems: readonly string[]): string[] {
  const lines = header('ms', systems);
  for (const [figure, label] of LATENCY_FIGURES) {
    for (const p of PERCENTILES) {
      const pick: Pick = (r) => (r.figures?.kind === 'latency' ? r.figures[figure][p] : undefined);
      lines.push(row(`${label}, ${p}`, records, scenario.id, systems, pick, millis));
    }
  }
  return lines;
}

/** Peak RSS in MiB of the coordinator (redis-server for BullMQ) and of the largest worker; lower is better. */
export function rssTable(records: readonly RunRecord[], scenarios: readonly Scenario[], systems: readonly string[]): string[] {
  const lines = header('MiB', systems);
  for (const s of scenarios) {
    lines.push(row(`${s.title}: coordinator / redis-server`, records, s.id, systems, (r) => r.rss?.coordinatorKiB, mebibytes));
    lines.push(row(`${s.title}: worker (largest)`, records, s.id, systems, largestWorkerKiB, mebibytes));
  }
  return lines;
}

/** Each Baton system's median rate as a percentage of the transport stand-in's; empty without the stand-in. */
export function transportFractionTable(records: readonly RunRecord[], scenarios: readonly Scenario[], systems: readonly string[]): string[] {
  if (!systems.includes(TRANSPORT)) return [];
  const batons = systems.filter((s) => s !== TRANSPORT && s !== REFERENCE);
  const lines = header('% of transport', batons);
  for (const s of scenarios) {
    const limit = spreadFor(records, s.id, TRANSPORT, rateOf)?.median;
    const cells = batons.map((system) => {
      const median = spreadFor(records, s.id, system, rateOf)?.median;
      return limit && median !== undefined ? `${((100 * median) / limit).toFixed(0)} %` : '—';
    });
    lines.push(`| ${s.title} | ${cells.join(' | ')} |`);
  }
  return lines;
}
