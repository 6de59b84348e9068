/** Coordinator settings that make failure detection fast enough for tests. */
export const FAST_FAILURE_ARGS = [
  '--heartbeat-interval', '100ms',
  '--lease-timeout', '1s',
  '--retry-initial-backoff', '10ms',
  '--retry-max-backoff', '100ms',
] as const;

export const LEASE_TIMEOUT_MS = 1000;

/** Reads a counter from the coordinator's /metrics. */
export async function metric(httpPort: number, name: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  let total = 0;
  for (const match of text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, 'gm'))) total += Number(match[1]);
  return total;
}
