import type { Duration } from './gen/google/protobuf/duration';

/** Milliseconds of a protobuf Duration; undefined when unset. */
export function durationToMs(duration: Duration | undefined): number | undefined {
  if (!duration) return undefined;
  return duration.seconds * 1000 + Math.trunc(duration.nanos / 1_000_000);
}

export function msToDuration(ms: number): Duration {
  const seconds = Math.trunc(ms / 1000);
  return { seconds, nanos: (ms - seconds * 1000) * 1_000_000 };
}
