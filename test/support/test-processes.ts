import { BatonClient } from '../../client/index';
import { join } from 'node:path';
import { ProcessGroup, startCoordinator, startWorker, type CoordinatorHandle } from './processes';

export interface TestProcesses {
  readonly group: ProcessGroup;
  /** A client that is closed with everything else after the suite. */
  readonly client: (address: string) => BatonClient;
  /** A coordinator on a fresh data dir, one worker on the fixture handlers, and a client. */
  readonly coordinatorWithWorker: () => Promise<{ coordinator: CoordinatorHandle; client: BatonClient }>;
}

/**
 * Call inside a `describe`: the processes, temp dirs and clients its tests make are all
 * cleaned up by one `after` hook, so no test leaves anything running.
 */
export function useTestProcesses(): TestProcesses {
  const group = new ProcessGroup();
  const clients: BatonClient[] = [];
  after(async () => {
    for (const client of clients) client.close();
    await group.cleanup();
  });
  const client = (address: string): BatonClient => {
    const made = new BatonClient({ address });
    clients.push(made);
    return made;
  };
  return {
    group,
    client,
    coordinatorWithWorker: async () => {
      const coordinator = await startCoordinator(group, { dataDir: join(group.tempDir(), 'data') });
      await startWorker(group, coordinator.address);
      return { coordinator, client: client(coordinator.address) };
    },
  };
}
