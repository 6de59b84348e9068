/**
 * Baton beside BullMQ (issue 8): the same scenarios on every system, alternating, repeated;
 * a line per run on stdout, then the tables, written into bench/RESULTS.md (its marked
 * section) with the raw figures as JSON in bench/results/.
 *
 *   node --import tsx bench/run.ts compare      (part of `make bench`)
 *   BENCH_TASKS=2000 BENCH_REPS=1 BENCH_LATENCY_TASKS=100 node --import tsx bench/run.ts compare   (a smoke run)
 *
 * Variables: BENCH_TASKS, BENCH_REPS, BENCH_WORKERS, BENCH_CONCURRENCY, BENCH_BULK_BATCH,
 * BENCH_STREAM_TASKS, BENCH_LATENCY_TASKS (see workload.ts); BENCH_SYSTEMS and
 * BENCH_SCENARIOS (comma-separated names or ids) to run only some; REDIS_SERVER.
 */
import { errorMessage } from '../../shared/errors';
import { runContext } from './machine';
import type { RunRecord } from './records';
import { reportMarkdown, runLine } from './report';
import { RESULTS_MD, rawResultsPath, writeMarkedSection, writeRawResults } from './results-file';
import { findRedisServer } from './redis-server';
import { SCENARIOS, runScenario, type Scenario } from './scenarios';
import type { System } from './system';
import { lineUp } from './systems';
import { COMPARE } from './workload';

/**
 * Runs the comparison. Stops between runs, and inside a run at its next poll or task, once
 * `signal` aborts; every process and dir of the run in progress is cleaned up either way.
 * @param argv the arguments bench/run.ts was given, for the command line in RESULTS.md.
 */
export async function benchCompare(argv: readonly string[], signal: AbortSignal): Promise<void> {
  const { systems, skipped } = await lineUp();
  const scenarios = selectedScenarios();
  const context = runContext(findRedisServer(), argv);
  console.log(`Baton beside BullMQ: ${systems.map((s) => s.name).join(', ')}; ${COMPARE.reps} repetitions; ${COMPARE.tasks} tasks; ${context.cpu}, ${context.cores} cores; load ${context.loadAtStart.toFixed(2)}`);
  for (const s of skipped) console.log(`  not run: ${s.name}: ${s.reason}`);
  if (systems.length === 0) throw new Error('no system to run');

  const records: RunRecord[] = [];
  for (let rep = 1; rep <= COMPARE.reps; rep += 1) {
    const order = rotated(systems, rep - 1);
    for (const scenario of scenarios) {
      for (const system of order) {
        signal.throwIfAborted();
        const record = await runOnce(rep, scenario, system, signal);
        records.push(record);
        console.log(runLine(record, scenario));
      }
    }
  }

  const rawPath = rawResultsPath(context.startedAt);
  const names = systems.map((s) => s.name);
  writeRawResults(rawPath, { context, settings: COMPARE, systems: names, skipped, scenarios: scenarios.map(({ id, title, measures }) => ({ id, title, measures })), records });
  const markdown = reportMarkdown({ context, scenarios, systems: names, skipped, records, rawPath });
  writeMarkedSection(RESULTS_MD, markdown);
  console.log(`\n${markdown}\n\nwritten: bench/RESULTS.md (its compare section), ${rawPath}`);
}

async function runOnce(rep: number, scenario: Scenario, system: System, signal: AbortSignal): Promise<RunRecord> {
  try {
    const { figures, rss } = await runScenario(system, scenario, signal);
    return { rep, scenario: scenario.id, system: system.name, figures, rss };
  } catch (err: unknown) {
    if (signal.aborted) throw err;
    return { rep, scenario: scenario.id, system: system.name, error: errorMessage(err) };
  }
}

/** Repetition `rep` (from 0) starts with the `rep`-th system. */
function rotated<T>(items: readonly T[], rep: number): T[] {
  const shift = rep % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

function selectedScenarios(): readonly Scenario[] {
  const wanted = process.env.BENCH_SCENARIOS?.split(',').map((id) => id.trim()).filter((id) => id !== '');
  if (!wanted) return SCENARIOS;
  const unknown = wanted.filter((id) => !SCENARIOS.some((s) => s.id === id));
  if (unknown.length > 0) throw new Error(`BENCH_SCENARIOS: unknown ${unknown.join(', ')} (known: ${SCENARIOS.map((s) => s.id).join(', ')})`);
  return SCENARIOS.filter((s) => wanted.includes(s.id));
}
