import { formatDurationMs } from '../../shared/duration';
import type { Queue, QueueSettings } from '../../shared/gen/baton/v1/queue';
import { durationToMs } from '../../shared/proto-time';
import type { CliIo } from './cli-io';
import { formatColumns, formatKeyValues } from './format';
import type { GlobalSettings } from './global-options';

/** queue.proto's defaults for settings left unset. */
const DEFAULT_RETENTION_MS = 7 * 86_400_000;
const DEFAULT_DEAD_RETENTION_MS = 30 * 86_400_000;

/**
 * One queue in `--json` output: settings as on the wire (0 for concurrency and rate means no
 * limit, 0 for burst max(1, ceil(rate)), 0 for weight 1; null retention the default) and
 * its tasks now.
 */
export interface QueueJson {
  readonly name: string;
  readonly paused: boolean;
  readonly concurrency: number;
  /** Tasks started per second. */
  readonly rate: number;
  readonly burst: number;
  readonly weight: number;
  readonly retentionMs: number | null;
  readonly deadRetentionMs: number | null;
  readonly running: number;
  readonly queued: number;
  readonly scheduled: number;
}

export function queueToJson(queue: Queue): QueueJson {
  const settings = queue.settings;
  return {
    name: queue.name,
    paused: settings?.paused ?? false,
    concurrency: settings?.concurrency ?? 0,
    rate: settings?.rate ?? 0,
    burst: settings?.burst ?? 0,
    weight: settings?.weight ?? 0,
    retentionMs: durationToMs(settings?.retention) ?? null,
    deadRetentionMs: durationToMs(settings?.deadRetention) ?? null,
    running: queue.running,
    queued: queue.queued,
    scheduled: queue.scheduled,
  };
}

/** One line of `--json` output. */
export function formatQueueJsonLine(queue: Queue): string {
  return `${JSON.stringify(queueToJson(queue))}\n`;
}

/** Prints one queue: a JSON line with `--json`, else the aligned block. */
export function printQueue(io: CliIo, settings: Pick<GlobalSettings, 'json'>, queue: Queue): void {
  io.stdout(settings.json ? formatQueueJsonLine(queue) : formatQueueBlock(queue));
}

/** A queue for people: settings in words (`unlimited`, `7d (default)`), then its tasks now. */
export function formatQueueBlock(queue: Queue): string {
  const settings = queue.settings;
  return formatKeyValues([
    ['name', queue.name],
    ['state', settings?.paused ? 'paused' : 'active'],
    ['concurrency', concurrencyText(settings)],
    ['rate', rateText(settings)],
    ['burst', burstText(settings)],
    ['weight', weightText(settings)],
    ['retention', retentionText(durationToMs(settings?.retention), DEFAULT_RETENTION_MS)],
    ['dead retention', retentionText(durationToMs(settings?.deadRetention), DEFAULT_DEAD_RETENTION_MS)],
    ['running', String(queue.running)],
    ['queued', String(queue.queued)],
    ['scheduled', String(queue.scheduled)],
  ]);
}

/** Queues for people: one aligned row each under a header. */
export function formatQueueTable(queues: readonly Queue[]): string {
  const header = ['QUEUE', 'STATE', 'CONCURRENCY', 'RATE', 'BURST', 'WEIGHT', 'RUNNING', 'QUEUED', 'SCHEDULED'];
  const rows = queues.map((queue) => [
    queue.name,
    queue.settings?.paused ? 'paused' : 'active',
    concurrencyText(queue.settings),
    rateText(queue.settings),
    burstText(queue.settings),
    weightText(queue.settings),
    String(queue.running),
    String(queue.queued),
    String(queue.scheduled),
  ]);
  return formatColumns([header, ...rows]);
}

function concurrencyText(settings: QueueSettings | undefined): string {
  return settings?.concurrency ? String(settings.concurrency) : 'unlimited';
}

/** `5/s`, `0.01667/s`; `unlimited` for 0. */
function rateText(settings: QueueSettings | undefined): string {
  return settings?.rate ? `${Number(settings.rate.toPrecision(4))}/s` : 'unlimited';
}

/** A burst only matters with a rate; 0 is max(1, ceil(rate)). */
function burstText(settings: QueueSettings | undefined): string {
  if (settings?.burst) return String(settings.burst);
  return settings?.rate ? `${Math.max(1, Math.ceil(settings.rate))} (auto)` : '-';
}

function weightText(settings: QueueSettings | undefined): string {
  return String(settings?.weight || 1);
}

function retentionText(ms: number | undefined, defaultMs: number): string {
  if (ms === undefined) return `${formatDays(defaultMs)} (default)`;
  return ms === 0 ? 'forever' : formatDays(ms);
}

/** Whole days as `7d`, anything else as formatDurationMs does. */
function formatDays(ms: number): string {
  return ms >= 86_400_000 && ms % 86_400_000 === 0 ? `${ms / 86_400_000}d` : formatDurationMs(ms);
}
