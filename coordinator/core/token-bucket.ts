/**
 * A token bucket: `ratePerSecond` tokens a second, at most `burst` held. Refilled lazily from
 * the clock readings it is given, so that it needs no timer and unit tests drive it with
 * plain numbers.
 */
export class TokenBucket {
  private tokens: number;
  private refilledAtMs: number;

  constructor(
    private ratePerSecond: number,
    private burst: number,
    nowMs: number,
  ) {
    this.tokens = burst;
    this.refilledAtMs = nowMs;
  }

  /** Changes rate and burst; tokens held stay, up to the new burst. */
  reconfigure(ratePerSecond: number, burst: number, nowMs: number): void {
    this.refill(nowMs);
    this.ratePerSecond = ratePerSecond;
    this.burst = burst;
    this.tokens = Math.min(this.tokens, burst);
  }

  /** Whether a whole token is there now. */
  available(nowMs: number): boolean {
    this.refill(nowMs);
    return this.tokens >= 1;
  }

  /** Takes one token if there is one. */
  take(nowMs: number): boolean {
    if (!this.available(nowMs)) return false;
    this.tokens -= 1;
    return true;
  }

  /** When the next whole token will be there: `nowMs` if one is now. */
  nextTokenAtMs(nowMs: number): number {
    this.refill(nowMs);
    if (this.tokens >= 1) return nowMs;
    return nowMs + Math.ceil(((1 - this.tokens) * 1000) / this.ratePerSecond);
  }

  private refill(nowMs: number): void {
    const elapsedMs = nowMs - this.refilledAtMs;
    // A clock that steps back refills nothing, and does not move the reference back.
    if (elapsedMs <= 0) return;
    this.tokens = Math.min(this.burst, this.tokens + (elapsedMs * this.ratePerSecond) / 1000);
    this.refilledAtMs = nowMs;
  }
}
