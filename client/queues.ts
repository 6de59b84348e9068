import { BatonError } from '../shared/errors';
import type { Queue } from '../shared/gen/baton/v1/queue';
import type { TaskQueueClient } from '../shared/gen/baton/v1/task_queue';
import { toUpdateQueueRequest, type QueueSettingsUpdate } from './queue-update';
import type { RequestOptions } from './request-options';
import type { UnaryCaller } from './unary-call';

/** The queue RPCs of the generated client: all {@link QueueClient} needs of it. */
export type QueueRpcs = Pick<TaskQueueClient, 'updateQueue' | 'getQueue' | 'listQueues' | 'pauseQueue' | 'resumeQueue'>;

/**
 * Queues: flow control across all workers (concurrency, rate, weight, pause) and retention.
 * Reached as `client.queues`. Changing settings needs the admin role; reading them, the
 * client role with access to the queue (else PERMISSION_DENIED).
 *
 * @example
 * await client.queues.update('mail', { concurrency: 10, rate: 5 });
 */
export class QueueClient {
  constructor(
    private readonly grpc: QueueRpcs,
    private readonly unary: UnaryCaller,
  ) {}

  /**
   * Changes the settings given and keeps the others. A queue with no tasks yet is fine: its
   * settings wait for it. Settings set here outlive restarts and override the config file's.
   * @throws BatonError INVALID_ARGUMENT before any I/O for an update naming no setting or a
   *   value that cannot be encoded (see toUpdateQueueRequest); from the coordinator for one
   *   out of its range.
   */
  async update(name: string, settings: QueueSettingsUpdate, request: RequestOptions = {}): Promise<Queue> {
    const message = toUpdateQueueRequest(name, settings);
    return queueOf(await this.unary(this.grpc.updateQueue.bind(this.grpc), message, request.signal));
  }

  /**
   * A queue's settings and its running, queued and scheduled tasks.
   * @throws BatonError PERMISSION_DENIED for a queue the credential is not limited to.
   */
  async get(name: string, request: RequestOptions = {}): Promise<Queue> {
    return queueOf(await this.unary(this.grpc.getQueue.bind(this.grpc), { name }, request.signal));
  }

  /** The queues with settings or unfinished tasks, by name. */
  async list(request: RequestOptions = {}): Promise<Queue[]> {
    return (await this.unary(this.grpc.listQueues.bind(this.grpc), {}, request.signal)).queues;
  }

  /** Starts nothing more from the queue (running tasks go on); it still accepts submissions. */
  async pause(name: string, request: RequestOptions = {}): Promise<Queue> {
    return queueOf(await this.unary(this.grpc.pauseQueue.bind(this.grpc), { name }, request.signal));
  }

  /** Lets a paused queue start tasks again. */
  async resume(name: string, request: RequestOptions = {}): Promise<Queue> {
    return queueOf(await this.unary(this.grpc.resumeQueue.bind(this.grpc), { name }, request.signal));
  }
}

function queueOf(response: { queue?: Queue | undefined }): Queue {
  if (!response.queue) throw new BatonError('INTERNAL', 'the coordinator answered without a queue');
  return response.queue;
}
