/**
 * Starts the transport stand-in (standin-coordinator.ts) as a child process of a
 * ProcessGroup, the way test/support/processes.ts starts the real coordinator, and returns
 * the same handle: benchmarks and tests then treat it as a coordinator.
 */
import { join } from 'node:path';
import { REPO_ROOT, coordinatorListening, spawnNodeScript, type CoordinatorHandle, type ProcessGroup } from '../../test/support/processes';

const STAND_IN = join(REPO_ROOT, 'bench', 'transport', 'standin-coordinator.ts');

export interface StandInProcessOptions {
  /** More arguments, e.g. `['--log-level', 'warn']`. */
  readonly args?: readonly string[];
  /** Options of node itself, such as `--cpu-prof`; `--import tsx` is always there. */
  readonly nodeArgs?: readonly string[];
}

/**
 * Starts the stand-in on 127.0.0.1, gRPC and HTTP on free ports, and waits until it listens.
 * Its `dataDir` is empty: it has none. `group.cleanup()` stops it.
 */
export async function startStandIn(group: ProcessGroup, options: StandInProcessOptions = {}): Promise<CoordinatorHandle> {
  const proc = group.add(
    spawnNodeScript(STAND_IN, ['--listen', '127.0.0.1:0', '--http', '127.0.0.1:0', ...(options.args ?? [])], 'standin-coordinator', {}, ['--import', 'tsx', ...(options.nodeArgs ?? [])]),
  );
  return coordinatorListening(proc, '');
}
