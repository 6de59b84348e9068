/**
 * What docs/protocol.md and docs/security.md say a submission may not be: if the
 * coordinator answers OK to one of these, its validation has a hole. Only documented limits
 * are here (the coordinator may refuse more, never less).
 */
import type { SubmitTaskRequest } from '../../shared/gen/baton/v1/task_queue';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,127}$/;
const YEAR_MS = 365 * 24 * 3_600_000;
/** Clock skew between the fuzzer's now and the coordinator's. */
const SLACK_MS = 60_000;
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Reasons the docs give for refusing `request`; empty when it is a valid submission. */
export function forbiddenBy(request: SubmitTaskRequest, maxPayloadBytes: number, nowMs: number): string[] {
  const reasons: string[] = [];
  if (request.queue !== '' && !NAME.test(request.queue)) reasons.push(`queue "${request.queue.slice(0, 40)}" breaks the name rule`);
  if (!NAME.test(request.type)) reasons.push(`type "${request.type.slice(0, 40)}" breaks the name rule`);
  if (request.payload.length > maxPayloadBytes) reasons.push(`payload of ${request.payload.length} bytes is over ${maxPayloadBytes}`);
  if (request.delay && request.runAt) reasons.push('both delay and run_at are set');
  if (request.maxAttempts > 1000) reasons.push(`max_attempts ${request.maxAttempts} is over 1000`);
  for (const [field, duration] of [['delay', request.delay], ['timeout', request.timeout], ['retry.initial_backoff', request.retry?.initialBackoff], ['retry.max_backoff', request.retry?.maxBackoff]] as const) {
    if (duration && duration.seconds * 1000 + duration.nanos / 1e6 > YEAR_MS + 1000) reasons.push(`${field} is longer than 365 days`);
  }
  if (request.runAt && request.runAt.getTime() > nowMs + YEAR_MS + SLACK_MS) reasons.push(`run_at ${request.runAt.toISOString()} is more than 365 days ahead`);
  const labels = Object.entries(request.labels);
  if (labels.length > 64) reasons.push(`${labels.length} labels, over 64`);
  for (const [key, value] of labels) {
    if (!NAME.test(key)) reasons.push(`label key "${key.slice(0, 40)}" breaks the name rule`);
    if ([...value].length > 256) reasons.push(`label "${key.slice(0, 40)}" has a value over 256 characters`);
    if (CONTROL.test(value)) reasons.push(`label "${key.slice(0, 40)}" has a control character in its value`);
  }
  return reasons;
}
