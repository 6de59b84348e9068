/**
 * Peak resident memory of a process, read from Linux's /proc: VmHWM, the high-water mark
 * of its RSS since it started. Every scenario run starts fresh processes, so the peak read
 * at the end of a run is that run's.
 */
import { readFileSync } from 'node:fs';

/** The processes of one system whose memory is reported. */
export interface SystemPids {
  /** Baton's coordinator (or the stand-in), or redis-server for BullMQ. */
  readonly coordinator: number;
  readonly workers: readonly number[];
}

/** Peak RSS in KiB, by process. */
export interface PeakRss {
  readonly coordinatorKiB: number;
  readonly workersKiB: readonly number[];
}

/**
 * VmHWM of `pid` in KiB.
 * @throws Error when the process is gone or /proc has no such line (not Linux).
 */
export function peakRssKiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = /^VmHWM:\s+(\d+) kB$/m.exec(status);
  if (!match) throw new Error(`no VmHWM in /proc/${pid}/status`);
  return Number(match[1]);
}

/** Reads every process of a system; call it while they still run. */
export function readPeakRss(pids: SystemPids): PeakRss {
  return { coordinatorKiB: peakRssKiB(pids.coordinator), workersKiB: pids.workers.map(peakRssKiB) };
}
