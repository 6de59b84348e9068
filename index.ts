/**
 * Baton's public library API: the client SDK, the worker runtime and the handler types.
 * The coordinator is run as a process (`baton coordinator`), not embedded.
 */
export * from './client/index';
export { Worker, type WorkerState } from './worker/worker';
export type { WorkerOptions } from './worker/options';
export { PrometheusWorkerMetrics, type WorkerMetrics, type WorkerGaugeSource, type AttemptMetricOutcome } from './worker/worker-metrics';
export type { Handler, HandlerMap, TaskContext } from './worker/handler';
export { NonRetryableError } from './worker/non-retryable-error';
export { BatonError } from './shared/errors';
