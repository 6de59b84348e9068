import { InvalidArgumentError } from './errors';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION_PATTERN = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;

/**
 * Parses a human duration ("250ms", "5s", "1.5m", "2h", "1d") or a number of milliseconds.
 * @param what names the value in the error, e.g. "--delay" or "lease_timeout".
 * @throws InvalidArgumentError naming `what` when the value is not a non-negative duration.
 */
export function parseDurationMs(value: string | number, what: string): number {
  if (typeof value === 'number') {
    if (Number.isFinite(value) && value >= 0) return Math.round(value);
    throw new InvalidArgumentError(`${what}: expected a non-negative duration, got ${value}`);
  }
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed);
  const match = DURATION_PATTERN.exec(trimmed);
  if (!match) {
    throw new InvalidArgumentError(`${what}: expected a duration like 250ms, 5s, 2m or 1h, got "${value}"`);
  }
  return Math.round(Number(match[1]) * (UNIT_MS[match[2] ?? 'ms'] ?? 1));
}

/** Formats milliseconds for people: 950ms, 2.5s, 3m, 1h. */
export function formatDurationMs(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  if (ms < 60_000) return `${+(ms / 1000).toFixed(2)}s`;
  if (ms < 3_600_000) return `${+(ms / 60_000).toFixed(2)}m`;
  return `${+(ms / 3_600_000).toFixed(2)}h`;
}
