import type { Task } from '../shared/gen/baton/v1/task';
import { decodePayload } from '../shared/payload';

/**
 * A task's payload, decoded: JSON content is parsed (an empty payload is `undefined`); any
 * other content type comes back as a Buffer.
 * @throws InvalidArgumentError when JSON content does not parse.
 */
export function decodeTaskPayload(task: Pick<Task, 'payload' | 'contentType'>): unknown {
  return decodePayload(task.payload, task.contentType);
}

/**
 * A task's result, decoded like its payload: parsed JSON, `undefined` when there is none
 * (the task has not succeeded, or the handler returned nothing), or a Buffer for other content types.
 * @throws InvalidArgumentError when JSON content does not parse.
 */
export function decodeTaskResult(task: Pick<Task, 'result' | 'resultContentType'>): unknown {
  return decodePayload(task.result, task.resultContentType);
}
