/**
 * Runs in a worker thread: sends KeepAlive on a gRPC channel of its own every heartbeat
 * interval, so that the coordinator sees the process alive even while a handler blocks the
 * main thread's event loop. It knows nothing of leases; the main thread posts the session.
 *
 * Its timing stays on real time (Date.now, setInterval), not the worker's injected clock: a
 * Clock is an object with functions, which cannot cross to another thread (workerData and
 * messages are structured clones), and this thread exists to prove liveness in the time the
 * coordinator measures while the main thread cannot run at all, so no main-thread clock could
 * drive it. The main thread tells it the interval (from Welcome) with each session.
 */
import { Metadata, type ServiceError } from '@grpc/grpc-js';
import { parentPort, workerData } from 'node:worker_threads';
import { grpcChannelSecurity } from '../shared/connection-security';
import { WorkerServiceClient } from '../shared/gen/baton/v1/worker_service';
import type { KeepAliveCommand, KeepAliveThreadData } from './keep-alive';

const data = workerData as KeepAliveThreadData;
// The main thread checked the options already; this only builds the same credentials again
// (grpc-js credentials cannot cross threads).
const channel = grpcChannelSecurity(data.security);
const client = new WorkerServiceClient(data.coordinator, channel.credentials, channel.options);
let timer: NodeJS.Timeout | undefined;
let currentSessionId: string | undefined;

function send(workerId: string, sessionId: string, intervalMs: number): void {
  client.keepAlive({ workerId, sessionId }, new Metadata(), { deadline: Date.now() + intervalMs }, (err: ServiceError | null, response) => {
    // A lost session is the main stream's business: it reconnects and posts the new one. A
    // late answer about an older session must not stop the keep-alives of the current one.
    if (!err && !response.sessionAlive && sessionId === currentSessionId) stopSending();
  });
}

function stopSending(): void {
  if (timer) clearInterval(timer);
  timer = undefined;
}

parentPort?.on('message', (command: KeepAliveCommand) => {
  stopSending();
  if (command.kind === 'stop') {
    client.close();
    parentPort?.close();
    return;
  }
  currentSessionId = command.sessionId;
  timer = setInterval(() => send(command.workerId, command.sessionId, command.intervalMs), command.intervalMs);
});
