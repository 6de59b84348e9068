// A BullMQ worker process for the side-by-side comparison (bench/compare/bullmq-system.ts
// starts it), the counterpart of a `baton worker` process running bench/compare/handlers.cjs:
// the same two handlers, CONCURRENCY jobs at once, BullMQ's defaults otherwise (lock 30 s
// renewed at 15 s, stalled check every 30 s). Plain JavaScript run by node itself, as Baton's
// worker runs from dist/, so that no TypeScript loader sits in the process whose memory is measured.
//
//   node bench/compare/bullmq-worker.cjs REDIS_PORT QUEUE CONCURRENCY CLIENT
//
// CLIENT is ioredis or node-redis (see bullmq-client.ts).
//
// Prints {"msg":"ready","atMs":EPOCH_MS} once connected, just before it starts taking jobs.
// SIGTERM or SIGINT closes it (running jobs finish first).
'use strict';
const { Worker } = require('bullmq');

const [portArg, queueName, concurrencyArg, clientKind] = process.argv.slice(2);
if (!portArg || !queueName || !concurrencyArg || (clientKind !== 'ioredis' && clientKind !== 'node-redis')) {
  process.stderr.write('usage: bullmq-worker.cjs REDIS_PORT QUEUE CONCURRENCY ioredis|node-redis\n');
  process.exit(2);
}

// ioredis: options, BullMQ opens (and closes) its connections; node-redis: a connected client.
async function connection() {
  const port = Number(portArg);
  if (clientKind === 'ioredis') return { host: '127.0.0.1', port, maxRetriesPerRequest: null };
  const client = require('redis').createClient({ socket: { host: '127.0.0.1', port } });
  await client.connect();
  return client;
}

async function processJob(job) {
  // Read first thing, like handlers.cjs's stamp: CLOCK_MONOTONIC, comparable across processes.
  const startNs = process.hrtime.bigint();
  return job.name === 'stamp' ? { startNs: String(startNs) } : null;
}

async function main() {
  const worker = new Worker(queueName, processJob, {
    connection: await connection(),
    concurrency: Number(concurrencyArg),
    autorun: false,
    // Finished jobs are kept (removeOnComplete/removeOnFail false, BullMQ's default): the
    // producer's Queue sets that on every job, see bullmq-system.ts.
  });
  worker.on('error', (err) => process.stderr.write(`bullmq worker error: ${err.stack ?? err}\n`));
  let closing;
  const close = () => {
    closing ??= worker.close().then(
      () => process.exit(0),
      (err) => {
        process.stderr.write(`bullmq worker close failed: ${err.stack ?? err}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', close);
  process.once('SIGINT', close);
  await worker.waitUntilReady();
  process.stdout.write(`${JSON.stringify({ msg: 'ready', atMs: Date.now() })}\n`);
  await worker.run();
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
