import { InvalidArgumentError } from '../shared/errors';
import type { UpdateQueueRequest } from '../shared/gen/baton/v1/queue';
import { optionalDuration } from './submit-request';
import { UINT32, checkWireInteger } from './wire-integers';

/**
 * The settings of a queue to change; those left undefined stay as they are. Numbers are
 * checked against their wire type only: the coordinator owns the limits (weight 1 to 1000, ...).
 */
export interface QueueSettingsUpdate {
  /** Tasks of the queue running at once across all workers; 0 removes the limit. */
  readonly concurrency?: number;
  /** Tasks started per second (a token bucket); 0 removes the limit. */
  readonly rate?: number;
  /** How many tasks may start at once after the queue was idle; 0 means max(1, ceil(rate)). */
  readonly burst?: number;
  /** A worker serving several queues takes tasks from each in proportion to its weight; 0 means 1. */
  readonly weight?: number;
  /** A paused queue accepts submissions and starts nothing. */
  readonly paused?: boolean;
  /** How long SUCCEEDED and CANCELED tasks are kept (`'3d'` or milliseconds); null puts back the default, 7 days. */
  readonly retention?: string | number | null;
  /** How long DEAD tasks are kept; null puts back the default, 30 days. */
  readonly deadRetention?: string | number | null;
}

/** Each setting and its path in `update_mask` (queue.proto's field names). */
const MASK_PATHS = {
  concurrency: 'concurrency',
  rate: 'rate',
  burst: 'burst',
  weight: 'weight',
  paused: 'paused',
  retention: 'retention',
  deadRetention: 'dead_retention',
} as const satisfies Record<keyof QueueSettingsUpdate, string>;

const SETTING_NAMES = Object.keys(MASK_PATHS) as Array<keyof QueueSettingsUpdate>;

/**
 * Builds an UpdateQueueRequest whose update_mask names exactly the settings given. Pure.
 * @throws InvalidArgumentError for an update that names no setting (the caller never sees the
 *   mask, so the coordinator's complaint about it would not say what to change), and naming
 *   the setting for a value that cannot be encoded.
 */
export function toUpdateQueueRequest(name: string, update: QueueSettingsUpdate): UpdateQueueRequest {
  const given = SETTING_NAMES.filter((key) => update[key] !== undefined);
  if (given.length === 0) {
    throw new InvalidArgumentError(`settings: expected at least one of ${SETTING_NAMES.join(', ')}`);
  }
  return {
    name,
    settings: {
      concurrency: checkWireInteger(update.concurrency ?? 0, 'concurrency', UINT32),
      rate: checkRate(update.rate ?? 0),
      burst: checkWireInteger(update.burst ?? 0, 'burst', UINT32),
      weight: checkWireInteger(update.weight ?? 0, 'weight', UINT32),
      paused: update.paused ?? false,
      // null: named in the mask and left unset, which puts the default back.
      retention: optionalDuration(update.retention ?? undefined, 'retention'),
      deadRetention: optionalDuration(update.deadRetention ?? undefined, 'deadRetention'),
    },
    updateMask: given.map((key) => MASK_PATHS[key]),
  };
}

function checkRate(rate: number): number {
  if (typeof rate !== 'number' || !Number.isFinite(rate)) {
    throw new InvalidArgumentError(`rate: expected a finite number of tasks per second, got ${String(rate)}`);
  }
  return rate;
}
