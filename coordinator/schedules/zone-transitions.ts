/**
 * UTC offsets of an IANA zone and the instants they change, read from Intl (the same ICU data
 * cron-parser's luxon uses). Cron fire times need the transitions themselves, not just "the
 * offset at t", to place a wall-clock time skipped by a spring-forward at the gap's end.
 */

const DAY_MS = 86_400_000;

/** A zone's offset changes at most once a day; sampling daily finds every change. */
const SAMPLE_STEP_MS = DAY_MS;

export class ZoneTransitions {
  private static readonly byZone = new Map<string, ZoneTransitions>();

  private readonly format: Intl.DateTimeFormat;
  /** Transitions per UTC year, computed on first use: a year costs ~370 Intl calls once. */
  private readonly byYear = new Map<number, readonly number[]>();

  private constructor(zone: string) {
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
  }

  /**
   * The shared instance for `zone`, so every schedule in a zone reuses its transitions.
   * @throws RangeError when `zone` is not a zone Intl knows (validate it first).
   */
  static of(zone: string): ZoneTransitions {
    let found = ZoneTransitions.byZone.get(zone);
    if (!found) {
      found = new ZoneTransitions(zone);
      ZoneTransitions.byZone.set(zone, found);
    }
    return found;
  }

  /** Local wall-clock time minus UTC at `ms`, in ms (e.g. +3_600_000 for CET). */
  offsetMsAt(ms: number): number {
    const secondMs = Math.floor(ms / 1000) * 1000;
    const parts = this.format.formatToParts(secondMs);
    const part = (type: Intl.DateTimeFormatPartTypes): number => Number(parts.find((p) => p.type === type)?.value);
    const wallMs = Date.UTC(part('year'), part('month') - 1, part('day'), part('hour'), part('minute'), part('second'));
    return wallMs - secondMs;
  }

  /** The instants in (fromMs, toMs] at which the offset changes (each the first instant of the new offset), oldest first. */
  transitionsIn(fromMs: number, toMs: number): number[] {
    const found: number[] = [];
    for (let year = new Date(fromMs).getUTCFullYear(); year <= new Date(toMs).getUTCFullYear(); year += 1) {
      for (const t of this.transitionsOfYear(year)) if (t > fromMs && t <= toMs) found.push(t);
    }
    return found;
  }

  /** The last transition in (fromMs, toMs], or undefined. */
  lastTransitionIn(fromMs: number, toMs: number): number | undefined {
    return this.transitionsIn(fromMs, toMs).at(-1);
  }

  private transitionsOfYear(year: number): readonly number[] {
    let found = this.byYear.get(year);
    if (!found) {
      found = this.scan(Date.UTC(year, 0, 1), Date.UTC(year + 1, 0, 1));
      this.byYear.set(year, found);
    }
    return found;
  }

  /** Transitions in (fromMs, toMs]. */
  private scan(fromMs: number, toMs: number): number[] {
    const found: number[] = [];
    let lowMs = fromMs;
    let lowOffsetMs = this.offsetMsAt(lowMs);
    while (lowMs < toMs) {
      const highMs = Math.min(lowMs + SAMPLE_STEP_MS, toMs);
      const highOffsetMs = this.offsetMsAt(highMs);
      if (highOffsetMs !== lowOffsetMs) found.push(this.firstChange(lowMs, highMs, lowOffsetMs));
      lowMs = highMs;
      lowOffsetMs = highOffsetMs;
    }
    return found;
  }

  /** The first whole second in (lowMs, highMs] whose offset is not `lowOffsetMs`; zones change on whole seconds. */
  private firstChange(lowMs: number, highMs: number, lowOffsetMs: number): number {
    let low = Math.floor(lowMs / 1000);
    let high = Math.floor(highMs / 1000);
    while (high - low > 1) {
      const mid = Math.floor((low + high) / 2);
      if (this.offsetMsAt(mid * 1000) === lowOffsetMs) low = mid;
      else high = mid;
    }
    return high * 1000;
  }
}
