import type { Int64 } from './types';

/** "TASK_STATE_DEAD" → "DEAD"; any enum loses its type prefix. */
export function shortEnum(value: string | undefined, prefix: string): string {
  if (!value) return 'UNSPECIFIED';
  return value.startsWith(prefix) ? value.slice(prefix.length) : value;
}

export const shortState = (s?: string): string => shortEnum(s, 'TASK_STATE_');
export const shortOutcome = (s?: string): string => shortEnum(s, 'ATTEMPT_OUTCOME_');

/** A proto3 JSON number or 64-bit string, absent meaning 0. */
export function num(v: Int64 | undefined | null): number {
  const n = Number(v ?? 0);
  return Number.isFinite(n) ? n : 0;
}

/** Seconds in a proto3 JSON Duration ("2.500s"); 0 when absent or malformed. */
export function durationSeconds(d: string | undefined): number {
  if (!d) return 0;
  const n = Number.parseFloat(d);
  return Number.isFinite(n) ? n : 0;
}

const pad = (n: number): string => String(n).padStart(2, '0');

export function fmtDuration(seconds: number): string {
  const abs = Math.abs(seconds);
  const sign = seconds < 0 ? '-' : '';
  if (abs === 0) return '0 s';
  if (abs < 1) return `${sign}${Math.round(abs * 1000)} ms`;
  if (abs < 10) return `${sign}${Math.round(abs * 10) / 10} s`;
  // Round before choosing the unit, so that 3599.7 s reads "1 h", not "60 m 00 s".
  const s = Math.round(abs);
  if (s < 60) return `${sign}${s} s`;
  if (s < 3600) return `${sign}${Math.floor(s / 60)} m${s % 60 ? ` ${pad(s % 60)} s` : ''}`;
  const m = Math.round(s / 60);
  if (m < 1440) return `${sign}${Math.floor(m / 60)} h${m % 60 ? ` ${pad(m % 60)} m` : ''}`;
  const h = Math.round(m / 60);
  return `${sign}${Math.floor(h / 24)} d${h % 24 ? ` ${h % 24} h` : ''}`;
}

/** A Duration string shown for people, or `fallback` when it is absent. */
export function fmtDurationField(d: string | undefined, fallback = '—'): string {
  return d === undefined ? fallback : fmtDuration(durationSeconds(d));
}

export function fmtRate(perSecond: number | undefined): string {
  const n = perSecond ?? 0;
  if (n === 0) return '0';
  if (n < 0.01) return '<0.01';
  if (n < 0.1) return n.toFixed(2);
  if (n < 10) return n.toFixed(1);
  return Math.round(n).toString();
}

export function timeMs(ts: string | undefined): number | undefined {
  if (!ts) return undefined;
  const ms = Date.parse(ts);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Local date and time, to the second. */
export function fmtTime(ts: string | undefined): string {
  const ms = timeMs(ts);
  if (ms === undefined) return '—';
  const d = new Date(ms);
  const date = `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  return `${date} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** The time as the wall clock of `zone` shows it, with the zone: "03:00 Europe/Berlin". */
export function fmtInZone(ts: string | undefined, zone: string): string {
  const ms = timeMs(ts);
  if (ms === undefined) return '—';
  try {
    const hm = new Intl.DateTimeFormat('en-GB', { timeZone: zone, hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).format(new Date(ms));
    return `${hm} ${zone}`;
  } catch {
    return zone; // a zone this browser does not know
  }
}

/** The browser's time zone, which every time on the pages is shown in. */
export function localZone(): string {
  return Intl.DateTimeFormat().resolvedOptions().timeZone || 'local time';
}

/** Local time alone for today, month-day and time otherwise: what fits a table cell. */
export function fmtTimeShort(ts: string | undefined, now = Date.now()): string {
  const ms = timeMs(ts);
  if (ms === undefined) return '—';
  const d = new Date(ms);
  const n = new Date(now);
  const hms = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  if (d.toDateString() === n.toDateString()) return hms;
  return `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${hms.slice(0, 5)}`;
}

/** "5 s ago" or "in 3 m 10 s", against `now` (the coordinator's clock when known). */
export function fmtRelative(ts: string | undefined, now = Date.now()): string {
  const ms = timeMs(ts);
  if (ms === undefined) return '—';
  const diff = (now - ms) / 1000;
  if (Math.abs(diff) < 1) return 'now';
  return diff > 0 ? `${fmtDuration(diff)} ago` : `in ${fmtDuration(-diff)}`;
}

/** The random tail of a UUIDv7: its head is a timestamp, shared by tasks made together. */
export function shortId(id: string): string {
  const hex = id.replace(/-/g, '');
  return hex.length > 8 ? hex.slice(-8) : id;
}

export function fmtBytes(n: number): string {
  if (n < 1024) return `${n} bytes`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

export function pct(fraction: number): string {
  const p = fraction * 100;
  return `${p < 10 && p > 0 ? p.toFixed(1) : Math.round(p)}%`;
}
