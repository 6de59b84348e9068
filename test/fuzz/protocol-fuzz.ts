/**
 * Area 2: random worker-protocol sequences on Connect (see protocol-scenarios.ts), several
 * scenarios at once, while legit tasks are being submitted and run.
 */
import fc from 'fast-check';
import { scaled } from './fuzz-config';
import type { FuzzContext } from './fuzz-context';
import { LegitTraffic } from './legit-traffic';
import { runProperty } from './property-runner';
import { runScenario, SecretLedger } from './protocol-scenario-runner';
import { scenarioArb } from './protocol-scenarios';

/** Scenarios played side by side in one run of the property. */
const SCENARIOS_MAX = 96;
const AVERAGE_SCENARIOS = 48;
const DEFAULT_SCENARIOS = 2000;

export async function fuzzWorkerProtocol(ctx: FuzzContext): Promise<LegitTraffic> {
  const legit = new LegitTraffic(ctx);
  const secrets = new SecretLedger();
  legit.start();
  try {
    await runProperty(
      {
        name: 'protocol Connect sequences',
        arb: fc.array(scenarioArb, { minLength: 1, maxLength: SCENARIOS_MAX, size: 'max' }),
        numRuns: Math.max(1, Math.ceil(scaled(ctx.config, DEFAULT_SCENARIOS) / AVERAGE_SCENARIOS)),
        run: async (scenarios) => (await Promise.all(scenarios.map((scenario) => runScenario(ctx, scenario, secrets)))).flat(),
      },
      ctx.config,
      ctx.report,
      ctx.known,
    );
  } finally {
    await legit.stop();
  }
  return legit;
}
