import fc from 'fast-check';
import { deriveSeed, selected, type FuzzConfig } from './fuzz-config';
import { FindingError, type Finding, type FuzzReport } from './fuzz-report';

export interface PropertySpec<T> {
  /** Names the property in reports and for FUZZ_ONLY, e.g. `messages SubmitTask/mutated`. */
  readonly name: string;
  readonly arb: fc.Arbitrary<T>;
  readonly numRuns: number;
  /** Runs one generated value against the coordinator; returns the invariants it broke. */
  readonly run: (value: T) => Promise<Finding[]>;
}

/** Distinct bugs one property may shrink before it only counts what it sees. */
const MAX_SHRUNK_PER_PROPERTY = 6;
/** Shrinking talks to a live server: past this, the smallest case found so far is reported. */
const SHRINK_BUDGET_MS = 2000;

/**
 * Runs a property to its full number of runs even when it breaks: a failing run is shrunk
 * and recorded, its signature becomes known, and a new round (its own derived seed) carries
 * on with the runs left, so that one bug neither hides the next nor cuts the volume.
 *
 * @param known signatures claimed or recorded, shared by every property of the run: a bug is
 *   shrunk by the first property that meets it, and only counted by the others.
 */
export async function runProperty<T>(spec: PropertySpec<T>, config: FuzzConfig, report: FuzzReport, known: Set<string>): Promise<void> {
  if (!selected(config, spec.name)) return;
  let remaining = spec.numRuns;
  for (let round = 0; remaining > 0; round += 1) {
    const surveyOnly = round >= MAX_SHRUNK_PER_PROPERTY;
    const seed = deriveSeed(config.seed, `${spec.name}#${round}`);
    let shrinking: { readonly signature: string; readonly sinceMs: number } | undefined;
    let executed = 0;
    const property = fc.asyncProperty(spec.arb, async (value) => {
      if (shrinking && Date.now() - shrinking.sinceMs > SHRINK_BUDGET_MS) return; // ends shrinking
      if (!shrinking) executed += 1;
      const findings = await spec.run(value);
      for (const finding of findings) report.seen(finding);
      if (surveyOnly) return;
      // While shrinking, only the claimed bug counts: another one is left for a later round to find.
      const fresh = shrinking ? findings.find((finding) => finding.signature === shrinking?.signature) : findings.find((finding) => !known.has(finding.signature));
      if (!fresh) return;
      if (!shrinking) {
        shrinking = { signature: fresh.signature, sinceMs: Date.now() };
        known.add(fresh.signature);
      }
      throw new FindingError(fresh);
    });
    const details = await fc.check(property, { seed, numRuns: remaining });
    remaining -= executed;
    if (!details.failed) break;
    const error = details.errorInstance;
    if (!(error instanceof FindingError)) {
      // A bug of the fuzzer itself: stop this property loudly rather than loop.
      report.violation(spec.name, { signature: `${spec.name} crashed`, summary: `the property itself threw: ${String(error)}`, input: fc.stringify(details.counterexample) }, replayLine(seed, details.counterexamplePath));
      return;
    }
    known.add(error.finding.signature);
    report.violation(spec.name, error.finding, replayLine(seed, details.counterexamplePath));
    if (round + 1 === MAX_SHRUNK_PER_PROPERTY) report.note(`${spec.name}: ${MAX_SHRUNK_PER_PROPERTY} distinct violations shrunk; later ones only counted`);
  }
}

function replayLine(seed: number, path: string | null): string {
  return `fast-check seed ${seed}, path "${path ?? ''}"`;
}

/**
 * Runs `work` with stack capture off. grpc-js builds an Error for every failed call and
 * formats its stack (source-mapped under tsx): with tens of thousands of rejected calls
 * that costs more than the calls themselves.
 */
export async function withoutStackTraces<T>(work: () => Promise<T>): Promise<T> {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return await work();
  } finally {
    Error.stackTraceLimit = limit;
  }
}
