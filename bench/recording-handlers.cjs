// Benchmark handlers that record every start: `noop` does no work but first appends
// "TASK_ID ATTEMPT START_MS" to BENCH_RUN_LOG_DIR/PID.log, with one write(2) on a file opened
// O_APPEND, so a line reaches the page cache before the handler returns and survives a SIGKILL
// of the worker a moment later. START_MS is wall-clock milliseconds with a fractional part.
const { openSync, writeSync } = require('node:fs');
const { join } = require('node:path');

let fd;

function record(ctx) {
  const dir = process.env.BENCH_RUN_LOG_DIR;
  if (!dir) return;
  if (fd === undefined) fd = openSync(join(dir, `${process.pid}.log`), 'a');
  writeSync(fd, `${ctx.taskId} ${ctx.attempt} ${(performance.timeOrigin + performance.now()).toFixed(3)}\n`);
}

module.exports = {
  async noop(_payload, ctx) {
    record(ctx);
    return null;
  },
};
