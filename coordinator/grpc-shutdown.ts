import type { Server } from '@grpc/grpc-js';

/**
 * Stops a gRPC server gracefully: tryShutdown waits for open calls and can wait forever on a
 * stream that never ends, so after `graceMs` it falls back to forceShutdown.
 */
export function shutdownGrpcServer(server: Server, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.forceShutdown();
      resolve();
    }, graceMs);
    timer.unref();
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}
