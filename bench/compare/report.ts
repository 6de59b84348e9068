/**
 * What the comparison prints as it goes (one line per run) and the Markdown section it
 * writes into bench/RESULTS.md at the end.
 */
import type { RunContext } from './machine';
import type { RunRecord } from './records';
import { REFERENCE, latencyTable, rssTable, throughputTable, transportFractionTable } from './report-tables';
import type { Scenario } from './scenarios';
import type { SkippedSystem } from './system';
import { COMPARE } from './workload';

const mib = (kib: number): string => `${(kib / 1024).toFixed(0)} MiB`;

/** One run, for stdout: `rep 1  end to end, bulk  baton normal  8,185 tasks/s  ...`. */
export function runLine(record: RunRecord, scenario: Scenario): string {
  const head = `rep ${record.rep}  ${scenario.title.padEnd(32)} ${record.system.padEnd(13)}`;
  if (record.error !== undefined) return `${head} FAILED: ${record.error}`;
  const f = record.figures;
  let figures = '';
  if (f?.kind === 'rate') {
    figures = `${Math.round(f.tasksPerSecond).toLocaleString('en-US').padStart(7)} tasks/s (${f.seconds.toFixed(2)} s, end ±${f.endResolutionMs.toFixed(0)} ms` + (f.submitPerSecond ? `, submit ${Math.round(f.submitPerSecond).toLocaleString('en-US')}/s)` : ')');
  } else if (f?.kind === 'latency') {
    const ms = (v: number): string => v.toFixed(2);
    figures = `ack p50 ${ms(f.ack.p50)} p99 ${ms(f.ack.p99)} | start p50 ${ms(f.start.p50)} p99 ${ms(f.start.p99)} | complete p50 ${ms(f.complete.p50)} p99 ${ms(f.complete.p99)} ms`;
  }
  const rss = record.rss ? `  peak RSS coordinator ${mib(record.rss.coordinatorKiB)}, workers ${record.rss.workersKiB.map(mib).join(' / ')}` : '';
  return `${head} ${figures}${rss}`;
}

export interface ReportInput {
  readonly context: RunContext;
  readonly scenarios: readonly Scenario[];
  /** In the order of the first repetition. */
  readonly systems: readonly string[];
  readonly skipped: readonly SkippedSystem[];
  readonly records: readonly RunRecord[];
  /** Repository-relative path of the raw JSON. */
  readonly rawPath: string;
}

/** The whole section, without the markers. */
export function reportMarkdown(input: ReportInput): string {
  const { context: c, scenarios, systems, records } = input;
  const rates = scenarios.filter((s) => s.id !== 'latency');
  const latency = scenarios.find((s) => s.id === 'latency');
  const failures = records.filter((r) => r.error !== undefined);
  const fraction = transportFractionTable(records, rates, systems);
  return [
    `## ${c.startedAt.slice(0, 10)} — Baton beside BullMQ (issue 8)`,
    '',
    `Command: \`${c.command}\` (bench/compare/). Started ${c.startedAt}; Baton ${c.baton}, Node ${c.node}, BullMQ ${c.bullmq} (Redis client: ${c.bullmqClient}), redis-server ${c.redis}.`,
    `Machine: ${c.cpu}, ${c.cores} cores (os.cpus()), ${c.memoryGiB} GiB, Linux ${c.kernel}; 1-minute load ${c.loadAtStart.toFixed(2)} at the start (the machine is shared).`,
    `Workload: ${COMPARE.tasks.toLocaleString('en-US')} tasks per throughput scenario (${COMPARE.streamTasks.toLocaleString('en-US')} for one submit in flight), ` +
      `no-op handlers, a 101-byte JSON payload each, ${COMPARE.reps} repetition(s); within each, scenario by scenario, the systems alternate, ` +
      `the order rotating by one per repetition (first: ${systems.join(', ')}). Every run starts its system fresh: a new data dir or redis-server, new worker processes.`,
    `Raw per-repetition figures: \`${input.rawPath}\`.`,
    ...skippedLines(input.skipped),
    '',
    'Cells: median over the repetitions (min–max), then **the ratio to BullMQ\'s median**.',
    '',
    `**Throughput** (tasks/s; ratio > 1: faster than BullMQ).`,
    '',
    ...throughputTable(records, rates, systems),
    ...(fraction.length > 0 ? ['', '**Fraction of the transport limit** (median rate over the stand-in\'s median rate, same scenario).', '', ...fraction] : []),
    ...(latency ? ['', `**Latency at low load** (ms; ratio < 1: lower than BullMQ's, better).`, '', ...latencyTable(records, latency, systems)] : []),
    '',
    `**Peak RSS** (VmHWM from /proc at the end of each run, MiB; lower is better; the producer is the benchmark process and is not counted).`,
    '',
    ...rssTable(records, scenarios, systems),
    '',
    'How each scenario is timed:',
    '',
    ...scenarios.map((s) => `- ${s.title}: ${s.measures}.`),
    ...methodLines(records, systems),
    ...(failures.length > 0 ? ['', 'Failed runs (left out of the medians):', '', ...failures.map((r) => `- rep ${r.rep}, ${r.scenario}, ${r.system}: ${r.error}`)] : []),
  ].join('\n');
}

function skippedLines(skipped: readonly SkippedSystem[]): string[] {
  return skipped.map((s) => `Not run: **${s.name}**: ${s.reason}.`);
}

function methodLines(records: readonly RunRecord[], systems: readonly string[]): string[] {
  const gaps = records.flatMap((r) => (r.figures?.kind === 'rate' ? [r.figures.endResolutionMs] : []));
  const endGaps = gaps.length > 0 ? `here ${Math.min(...gaps).toFixed(0)}–${Math.max(...gaps).toFixed(0)} ms` : 'no run here';
  return [
    `- Completion is counted by polling (Baton: \`baton_tasks_finished_total\` on the coordinator's /metrics; BullMQ: the sizes of the completed and failed sets), at gaps of a quarter of the expected remaining time, between ${COMPARE.pollMinMs} and ${COMPARE.pollMaxMs} ms, so that a scrape every few ms does not tax Baton's coordinator throughout. The end is taken in the middle of the last gap, so it is off by at most half that gap (endResolutionMs in the JSON; ${endGaps}) plus one round trip.`,
    `- The pre-filled interval starts at the first worker's own clock reading as it begins to take tasks (Baton: the time of its "connected to the coordinator" log line, ms; BullMQ: Date.now() after Worker.waitUntilReady(), just before run()), so process start-up is not counted.`,
    `- Latency: one monotonic clock for all processes (process.hrtime, CLOCK_MONOTONIC); the producer reads it before submit, the handler reads it first thing and returns it as its result. Completion seen: Baton's WatchTask terminal update, on a stream the client opens per task once the submit is acknowledged, as client.wait does (the result is then read with GetTask, untimed); BullMQ's job.waitUntilFinished(QueueEvents), one standing QueueEvents subscription made before the first task.`,
    `- Baton: coordinator and \`baton worker\` processes from dist/, ${COMPARE.concurrency} slots each, handlers bench/compare/handlers.cjs; producer: one BatonClient. ${REFERENCE}: redis-server with --appendonly yes --appendfsync everysec --save '' in a temp dir; worker processes bench/compare/bullmq-worker.cjs, concurrency ${COMPARE.concurrency}, BullMQ's defaults otherwise; producer: one Queue; jobs keep BullMQ's default removeOnComplete/removeOnFail false (finished jobs kept, as Baton keeps finished tasks), attempts 3 with exponential backoff from 1 s (Baton's default policy).`,
    ...(systems.includes('baton memory') ? ['- baton memory (a limit): the same coordinator with `--store memory`: no durable store, nothing survives a restart; the rest of the engine as in the others.'] : []),
    ...(systems.includes('transport')
      ? ['- transport (a limit): the stand-in coordinator of bench/transport/ (grpc-js and Baton\'s protocol, no store, no engine), driven by the same client and `baton worker` processes. It runs under `node --import tsx`, so its RSS includes the TypeScript loader: its memory figures are not comparable.']
      : []),
  ];
}
