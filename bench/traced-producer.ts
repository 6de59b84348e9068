/**
 * The producer of the tracing benchmark, a process of its own so that it traces exactly as
 * an application (or the `baton` CLI) would: the SDK from OTEL_* first, then the client.
 *
 *   node --import tsx bench/traced-producer.ts COORDINATOR HTTP_PORT TASKS BATCH
 *
 * Submits TASKS no-op tasks in batches (8 in flight), waits until the coordinator's
 * metrics count them all finished, and prints `{"seconds": S, "cpuSeconds": C}` (first submit to last
 * completion; the producer's CPU time) on stdout.
 */
import { startProcessTracing } from '../bin/tracing';

async function finished(httpPort: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  let total = 0;
  for (const match of text.matchAll(/^baton_tasks_finished_total\{[^}]*\} (\d+)/gm)) total += Number(match[1]);
  return total;
}

async function main(): Promise<void> {
  const [address, httpPort, tasksArg, batchArg] = process.argv.slice(2);
  if (!address || !httpPort) throw new Error('usage: traced-producer.ts COORDINATOR HTTP_PORT TASKS BATCH');
  const tasks = Number(tasksArg ?? 20_000);
  const batch = Number(batchArg ?? 500);
  const tracing = await startProcessTracing('baton-bench-producer');
  // Loaded after the SDK, so that the gRPC instrumentation sees grpc-js load.
  const { BatonClient } = await import('../client/index.js');
  const client = new BatonClient({ address });
  const before = await finished(httpPort);
  const cpuAtStart = process.cpuUsage();
  const started = performance.now();
  const inFlight: Array<Promise<unknown>> = [];
  for (let sent = 0; sent < tasks; sent += batch) {
    inFlight.push(client.submitMany(Array.from({ length: Math.min(batch, tasks - sent) }, () => ({ type: 'noop', payload: null }))));
    if (inFlight.length >= 8) await inFlight.shift();
  }
  await Promise.all(inFlight);
  while ((await finished(httpPort)) < before + tasks) await new Promise((resolve) => setTimeout(resolve, 10));
  const seconds = (performance.now() - started) / 1000;
  client.close();
  await tracing.shutdown();
  const cpu = process.cpuUsage(cpuAtStart);
  process.stdout.write(`${JSON.stringify({ seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6 })}\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
