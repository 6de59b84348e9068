/**
 * What TLS and tokens cost: the same workload against a coordinator that is open
 * (loopback default), one with TLS and tokens, and one with mutual TLS and tokens, in
 * alternation, so that the ratios come from one run on one noisy machine.
 *
 *   node --import tsx bench/run.ts security        (BENCH_SECURITY_REPS=3)
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BatonClient, type BatonClientOptions } from '../client/index';
import { ProcessGroup, startCoordinator, startWorker } from '../test/support/processes';
import { createTestCa, type TestCa } from '../test/support/test-ca';

const TASKS = Number(process.env.BENCH_SECURITY_TASKS ?? 10_000);
const REPS = Number(process.env.BENCH_SECURITY_REPS ?? 3);
const BATCH = 500;
const LATENCY_SAMPLES = 200;
const HANDLERS = join(__dirname, 'handlers.cjs');
const ADMIN_TOKEN = 'bench-admin-token-0123456789abcdef';
const WORKER_TOKEN = 'bench-worker-token-0123456789abcdef';

type Mode = 'open' | 'tls+tokens' | 'mtls+tokens';
const MODES: readonly Mode[] = ['open', 'tls+tokens', 'mtls+tokens'];

interface Figures {
  readonly tasksPerS: number;
  readonly unaryP50Ms: number;
}

export async function benchSecurity(): Promise<void> {
  const ca = await createTestCa({ clientNames: ['bench-client', 'bench-worker'] });
  const results = new Map<Mode, Figures[]>(MODES.map((mode) => [mode, []]));
  try {
    for (let rep = 0; rep < REPS; rep += 1) {
      for (const mode of MODES) results.get(mode)!.push(await runOnce(mode, ca));
    }
  } finally {
    ca.cleanup();
  }
  console.log(`security cost: ${TASKS} no-op tasks end to end, 2 workers x 64, ${REPS} alternating repetitions (median, min-max)`);
  const open = median(results.get('open')!.map((f) => f.tasksPerS));
  for (const mode of MODES) {
    const figures = results.get(mode)!;
    const rates = figures.map((f) => f.tasksPerS);
    const unary = figures.map((f) => f.unaryP50Ms);
    console.log(
      `  ${mode.padEnd(12)} ${median(rates).toFixed(0)} tasks/s (${Math.min(...rates).toFixed(0)}-${Math.max(...rates).toFixed(0)}, ` +
        `${(median(rates) / open).toFixed(2)}x open); GetTask p50 ${median(unary).toFixed(2)} ms`,
    );
  }
}

async function runOnce(mode: Mode, ca: TestCa): Promise<Figures> {
  const group = new ProcessGroup();
  try {
    const dir = group.tempDir('baton-bench-');
    const tokensFile = join(dir, 'tokens');
    writeFileSync(tokensFile, `admin ${ADMIN_TOKEN}\nworker ${WORKER_TOKEN}\n`);
    const serverArgs = mode === 'open' ? [] : ['--tls-cert', ca.server.cert, '--tls-key', ca.server.key, '--tokens', tokensFile];
    if (mode === 'mtls+tokens') serverArgs.push('--tls-client-ca', ca.ca.cert);
    const coordinator = await startCoordinator(group, { dataDir: join(dir, 'data'), args: serverArgs });
    // A DNS name, not the IP: the certificate has both, and Node warns about TLS to an IP.
    const address = mode === 'open' ? coordinator.address : `localhost:${coordinator.port}`;
    const workerCert = ca.clients['bench-worker']!;
    const workerArgs = mode === 'open' ? [] : ['--tls-ca', ca.ca.cert, '--token', WORKER_TOKEN];
    if (mode === 'mtls+tokens') workerArgs.push('--tls-cert', workerCert.cert, '--tls-key', workerCert.key);
    await Promise.all([0, 1].map(() => startWorker(group, address, { module: HANDLERS, concurrency: 64, args: workerArgs })));
    const clientCert = ca.clients['bench-client']!;
    const options: BatonClientOptions =
      mode === 'open'
        ? { address }
        : { address, token: ADMIN_TOKEN, tls: { ca: ca.ca.cert, ...(mode === 'mtls+tokens' ? { cert: clientCert.cert, key: clientCert.key } : {}) } };
    const client = new BatonClient(options);
    try {
      return { tasksPerS: await endToEnd(client), unaryP50Ms: await unaryP50(client) };
    } finally {
      client.close();
    }
  } finally {
    await group.cleanup();
  }
}

async function endToEnd(client: BatonClient): Promise<number> {
  const started = performance.now();
  const ids: string[] = [];
  for (let sent = 0; sent < TASKS; sent += BATCH) {
    const results = await client.submitMany(Array.from({ length: Math.min(BATCH, TASKS - sent) }, () => ({ type: 'noop', payload: null })));
    ids.push(...results.map((r) => r.task.id));
  }
  // The last task submitted is about the last to finish; then make sure of the rest.
  await client.wait(ids[ids.length - 1]!);
  while (!(await allFinished(client))) await new Promise((resolve) => setTimeout(resolve, 5));
  return TASKS / ((performance.now() - started) / 1000);
}

async function allFinished(client: BatonClient): Promise<boolean> {
  for (const state of ['scheduled', 'queued', 'running']) {
    if ((await client.list({ state, pageSize: 1 })).tasks.length > 0) return false;
  }
  return true;
}

async function unaryP50(client: BatonClient): Promise<number> {
  const { task } = await client.submit('noop', null);
  const samples: number[] = [];
  for (let i = 0; i < LATENCY_SAMPLES; i += 1) {
    const started = performance.now();
    await client.get(task.id);
    samples.push(performance.now() - started);
  }
  return median(samples);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
}
