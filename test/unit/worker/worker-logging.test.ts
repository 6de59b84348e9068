import { expect } from 'chai';
import { createLogger, type Logger } from '../../../shared/logger';
import type { TaskContext } from '../../../worker/handler';
import { useInMemoryTracing } from '../../support/in-memory-tracing';
import { aLease, settle } from './fake-links';
import { useWorkers } from './worker-harness';

const SUBMITTER = { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' };
const TRACEPARENT = `00-${SUBMITTER.traceId}-${SUBMITTER.spanId}-01`;

type Line = Record<string, unknown>;

/**
 * A debug logger that keeps its lines, and counts the child loggers made of the worker's
 * own logger (`{ component: 'worker' }`): per-lease children are what the hot path avoids.
 */
function recordingLogger(): { logger: Logger; lines: Line[]; attemptChildren: () => number } {
  const lines: Line[] = [];
  const root = createLogger({ name: 'worker', level: 'debug', destination: { write: (line: string) => void lines.push(JSON.parse(line) as Line) } });
  let attemptChildren = 0;
  // Every logger made from `root` inherits this `child`; called on anything but `root`, it
  // makes a child of the worker's logger (or deeper).
  // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the logger it belongs to
  const pinoChild = root.child;
  root.child = function (this: Logger, bindings, options) {
    if (this !== root) attemptChildren += 1;
    return pinoChild.call(this, bindings, options);
  } as typeof root.child;
  return { logger: root, lines, attemptChildren: () => attemptChildren };
}

describe('Worker logging', () => {
  useInMemoryTracing();
  const workers = useWorkers();

  it('puts task_id, attempt, type, trace_id and span_id on every line about an attempt, with no child logger per lease', async () => {
    const { logger, lines, attemptChildren } = recordingLogger();
    const h = await workers(
      {
        ok: () => 'fine',
        fails: () => {
          throw new Error('boom');
        },
      },
      { logger, workerId: 'w-1' },
    ).connect();
    const ok = aLease({ type: 'ok', traceContext: { traceparent: TRACEPARENT } });
    const fails = aLease({ type: 'fails', attempt: 2, traceContext: { traceparent: TRACEPARENT } });
    h.link.lease(ok, fails);
    await settle();
    const about = (lease: { taskId: string }) => lines.filter((line) => line.task_id === lease.taskId);
    expect(about(ok).map((line) => line.msg)).to.deep.equal(['attempt started', 'attempt succeeded']);
    expect(about(fails).map((line) => line.msg)).to.deep.equal(['attempt started', 'attempt failed']);
    for (const [lease, line] of [...about(ok).map((l) => [ok, l] as const), ...about(fails).map((l) => [fails, l] as const)]) {
      expect(line, String(line.msg)).to.include({ component: 'worker', worker_id: 'w-1', task_id: lease.taskId, attempt: lease.attempt, type: lease.type, trace_id: SUBMITTER.traceId });
      expect(line.span_id, String(line.msg)).to.match(/^[0-9a-f]{16}$/).and.not.equal(SUBMITTER.spanId);
    }
    expect(about(fails)[1]).to.include({ err_message: 'boom', non_retryable: false, level: 30 });
    expect(attemptChildren()).to.equal(0);
  });

  it('gives a handler that asks a logger with the same fields, made once for its attempt', async () => {
    const { logger, lines, attemptChildren } = recordingLogger();
    const h = await workers(
      {
        chatty: (_payload, ctx: TaskContext) => {
          ctx.logger.info({ step: 1 }, 'handler says');
          ctx.logger.info({ step: 2 }, 'handler says');
          return 'ok';
        },
      },
      { logger, workerId: 'w-1' },
    ).connect();
    const lease = aLease({ type: 'chatty', traceContext: { traceparent: TRACEPARENT } });
    h.link.lease(lease);
    await settle();
    const said = lines.filter((line) => line.msg === 'handler says');
    expect(said.map((line) => line.step)).to.deep.equal([1, 2]);
    for (const line of said) {
      expect(line).to.include({ component: 'worker', worker_id: 'w-1', task_id: lease.taskId, attempt: 1, type: 'chatty', trace_id: SUBMITTER.traceId });
      expect(line.span_id).to.match(/^[0-9a-f]{16}$/);
    }
    expect(attemptChildren()).to.equal(1);
  });
});
