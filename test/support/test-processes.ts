import { BatonClient } from '../../client/index';
import { ProcessGroup } from './processes';

export interface TestProcesses {
  readonly group: ProcessGroup;
  /** A client that is closed with everything else after the suite. */
  readonly client: (address: string) => BatonClient;
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
  return {
    group,
    client: (address: string): BatonClient => {
      const client = new BatonClient({ address });
      clients.push(client);
      return client;
    },
  };
}
