/**
 * The scale and failure parts of `make bench` (issue 8, "Scale" and "Throughput under
 * failure"), by name: `node --import tsx bench/run.ts queued|sessions|delayed|failure`, or
 * `scale` for the four in order. Sizes come from BENCH_QUEUED, BENCH_SESSIONS,
 * BENCH_DELAYED and BENCH_FAILURE_TASKS.
 */
import { benchFailure } from './failure';
import { benchDelayed } from './scale-delayed';
import { benchQueued } from './scale-queued';
import { benchSessions } from './scale-sessions';

const PARTS = { queued: benchQueued, sessions: benchSessions, delayed: benchDelayed, failure: benchFailure } as const;

async function benchScale(): Promise<void> {
  for (const part of Object.values(PARTS)) await part();
}

/** Part name → the function that runs it. */
export const SCALE_PARTS: Readonly<Record<string, () => Promise<void>>> = { ...PARTS, scale: benchScale };
