import { InvalidArgumentError } from '../../shared/errors';
import { durationToMs, msToDuration } from '../../shared/proto-time';
import type { Queue, QueueSettings as WireQueueSettings, UpdateQueueRequest } from '../../shared/gen/baton/v1/queue';
import type { QueueView } from '../core/queue-admin';
import { MAX_QUEUE_CONCURRENCY, MAX_QUEUE_RATE, MAX_QUEUE_WEIGHT, QUEUE_SETTING_FIELDS, type QueueSettingsOverride } from '../core/queue-settings';

const MAX_RETENTION_MS = 10 * 365 * 24 * 3_600_000;

/**
 * The settings an UpdateQueue changes: those its update_mask names, checked.
 * @throws InvalidArgumentError naming the field (an unknown mask path, a negative rate...).
 */
export function validateQueueUpdate(request: UpdateQueueRequest): QueueSettingsOverride {
  const paths = request.updateMask ?? [];
  if (paths.length === 0) throw new InvalidArgumentError(`update_mask: name the settings to change (${QUEUE_SETTING_FIELDS.join(', ')})`);
  const wire: WireQueueSettings = request.settings ?? { concurrency: 0, rate: 0, burst: 0, weight: 0, paused: false };
  const changes: { -readonly [K in keyof QueueSettingsOverride]: QueueSettingsOverride[K] } = {};
  for (const path of paths) {
    switch (path) {
      case 'concurrency':
        if (wire.concurrency > MAX_QUEUE_CONCURRENCY) throw new InvalidArgumentError(`settings.concurrency: ${wire.concurrency} is over the limit of ${MAX_QUEUE_CONCURRENCY}`);
        changes.concurrency = wire.concurrency;
        break;
      case 'rate':
        if (!Number.isFinite(wire.rate) || wire.rate < 0) throw new InvalidArgumentError(`settings.rate: must be a number of tasks per second, 0 or more, got ${wire.rate}`);
        if (wire.rate > MAX_QUEUE_RATE) throw new InvalidArgumentError(`settings.rate: ${wire.rate} is over the limit of ${MAX_QUEUE_RATE} per second`);
        changes.ratePerSecond = wire.rate;
        break;
      case 'burst':
        if (wire.burst > MAX_QUEUE_RATE) throw new InvalidArgumentError(`settings.burst: ${wire.burst} is over the limit of ${MAX_QUEUE_RATE}`);
        changes.burst = wire.burst;
        break;
      case 'weight':
        if (wire.weight > MAX_QUEUE_WEIGHT) throw new InvalidArgumentError(`settings.weight: ${wire.weight} is over the limit of ${MAX_QUEUE_WEIGHT}`);
        changes.weight = wire.weight === 0 ? 1 : wire.weight;
        break;
      case 'paused':
        changes.paused = wire.paused;
        break;
      case 'retention':
        changes.retentionMs = retentionMs(wire.retention, 'settings.retention');
        break;
      case 'dead_retention':
        changes.deadRetentionMs = retentionMs(wire.deadRetention, 'settings.dead_retention');
        break;
      default:
        throw new InvalidArgumentError(`update_mask: "${path.slice(0, 64)}" is not a queue setting (known: ${QUEUE_SETTING_FIELDS.join(', ')})`);
    }
  }
  return changes;
}

function retentionMs(duration: { seconds: number; nanos: number } | undefined, field: string): number | undefined {
  const ms = durationToMs(duration);
  if (ms === undefined) return undefined; // unset: back to the default
  if (!Number.isFinite(ms) || ms < 0 || (duration?.nanos ?? 0) < 0) throw new InvalidArgumentError(`${field}: must not be negative`);
  if (ms > MAX_RETENTION_MS) throw new InvalidArgumentError(`${field}: longer than the limit of 10 years`);
  return ms;
}

export function toWireQueue(view: QueueView): Queue {
  const { settings } = view;
  return {
    name: view.name,
    settings: {
      concurrency: settings.concurrency,
      rate: settings.ratePerSecond,
      burst: settings.burst,
      weight: settings.weight,
      paused: settings.paused,
      retention: msToDuration(settings.retentionMs),
      deadRetention: msToDuration(settings.deadRetentionMs),
    },
    running: view.running,
    queued: view.queued,
    scheduled: view.scheduled,
  };
}
