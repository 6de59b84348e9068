// Baton's handlers for the side-by-side comparison (bench/compare/). bullmq-worker.cjs has the
// same two, so both systems run the same code per task.
module.exports = {
  // The throughput scenarios: no work at all, so the figures measure the queue.
  async noop() {
    return null;
  },
  // The latency scenario: the handler's start on the monotonic clock (CLOCK_MONOTONIC, the
  // same in every process of the machine), read first thing, for the producer to subtract
  // its own send time from.
  async stamp() {
    const startNs = process.hrtime.bigint();
    return { startNs: String(startNs) };
  },
};
