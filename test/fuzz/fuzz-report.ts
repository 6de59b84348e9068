/**
 * What the fuzz run saw: a count of every answer per area, RPC and case kind, and each
 * distinct invariant violation with the smallest input that showed it.
 */
import { statusName } from '../support/raw-grpc-client';

/** One broken invariant, as a property reports it. */
export interface Finding {
  /** Groups repeats of the same bug: e.g. `SubmitTask INTERNAL "Error deserializing request"`. */
  readonly signature: string;
  /** What was expected and what happened. */
  readonly summary: string;
  /**
   * The input that showed it, readable (hex and decoded message where known); a function
   * when rendering costs something, since most findings are only counted.
   */
  readonly input: string | (() => string);
}

export interface Violation extends Finding {
  readonly input: string;
  readonly property: string;
  /** The fast-check seed and path that replay the shrunk case (see fuzz-config.ts). */
  readonly replay: string;
  /** How many cases in the whole run showed this signature (shrinking runs included). */
  occurrences: number;
}

/** Thrown inside a property so that fast-check shrinks toward the smallest input that shows `finding`. */
export class FindingError extends Error {
  constructor(readonly finding: Finding) {
    super(`${finding.summary}\ninput: ${inputText(finding)}`);
    this.name = 'FindingError';
  }
}

export class FuzzReport {
  private readonly counts = new Map<string, Map<string, number>>();
  private readonly occurrences = new Map<string, number>();
  private readonly violationsBySignature = new Map<string, Violation>();
  private readonly notes: string[] = [];
  private casesSent = 0;
  private readonly startedAtMs = Date.now();

  /** Counts one answer under `row` (e.g. `messages SubmitTask/typed`). */
  answer(row: string, code: number | string): void {
    const label = typeof code === 'number' ? statusName(code) : code;
    let row_ = this.counts.get(row);
    if (!row_) {
      row_ = new Map();
      this.counts.set(row, row_);
    }
    row_.set(label, (row_.get(label) ?? 0) + 1);
  }

  /** Counts cases sent (a message, a stream step, a raw connection). */
  sent(count = 1): void {
    this.casesSent += count;
  }

  get cases(): number {
    return this.casesSent;
  }

  /** Counts a finding seen; the property decides whether it is new enough to shrink. */
  seen(finding: Finding): void {
    this.occurrences.set(finding.signature, (this.occurrences.get(finding.signature) ?? 0) + 1);
    const known = this.violationsBySignature.get(finding.signature);
    if (known) known.occurrences = this.occurrences.get(finding.signature) ?? 0;
  }

  /** Records a shrunk violation (the first per signature wins). */
  violation(property: string, finding: Finding, replay: string): void {
    if (this.violationsBySignature.has(finding.signature)) return;
    this.violationsBySignature.set(finding.signature, {
      ...finding,
      input: inputText(finding),
      property,
      replay,
      occurrences: this.occurrences.get(finding.signature) ?? 1,
    });
  }

  note(text: string): void {
    this.notes.push(text);
  }

  get violations(): readonly Violation[] {
    return [...this.violationsBySignature.values()];
  }

  /** The answers table, for the log. */
  table(filter: (row: string) => boolean = () => true): string {
    const lines: string[] = [];
    for (const [row, byStatus] of [...this.counts.entries()].sort(([a], [b]) => a.localeCompare(b))) {
      if (!filter(row)) continue;
      const cells = [...byStatus.entries()].sort(([, a], [, b]) => b - a).map(([label, n]) => `${label} ${n}`);
      lines.push(`  ${row.padEnd(34)} ${cells.join(', ')}`);
    }
    return lines.join('\n');
  }

  summary(): string {
    const seconds = ((Date.now() - this.startedAtMs) / 1000).toFixed(1);
    const parts = [`fuzz: ${this.casesSent} cases in ${seconds}s`];
    if (this.notes.length > 0) parts.push(...this.notes.map((note) => `  note: ${note}`));
    return parts.join('\n');
  }

  /** Every violation, numbered, with its input and replay line; empty when there is none. */
  describeViolations(): string {
    return this.violations
      .map((v, i) => `${i + 1}. [${v.property}] ${v.summary}\n   seen ${v.occurrences}x; replay: ${v.replay}\n   smallest input: ${v.input}`)
      .join('\n');
  }
}

export function inputText(finding: Finding): string {
  return typeof finding.input === 'string' ? finding.input : finding.input();
}

/** Hex of at most `limit` bytes, with the total length. */
export function hex(bytes: Uint8Array, limit = 96): string {
  const shown = Buffer.from(bytes.subarray(0, limit)).toString('hex');
  return bytes.length > limit ? `${shown}… (${bytes.length} bytes)` : `${shown || '(empty)'} (${bytes.length} bytes)`;
}

/** A message as JSON, shortened: long strings, byte arrays and lists are elided. */
export function brief(message: unknown, limit = 600): string {
  const text = JSON.stringify(message, (_key, value: unknown) => {
    if (typeof value === 'string' && value.length > 80) return `${value.slice(0, 40)}…(${value.length} chars)`;
    if (value instanceof Uint8Array || (typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'Buffer')) {
      const data = value instanceof Uint8Array ? value : Uint8Array.from((value as { data: number[] }).data);
      return `<${data.length} bytes>`;
    }
    if (Array.isArray(value) && value.length > 8) return [...(value as unknown[]).slice(0, 8), `…(${value.length} items)`];
    return value;
  });
  if (text === undefined) return String(message);
  return text.length > limit ? `${text.slice(0, limit)}…` : text;
}

/** Makes a status detail comparable across cases: numbers and quoted values vary, the sentence does not. */
export function detailClass(details: string): string {
  return details
    .split(':')[0]!
    .replace(/"[^"]*"/g, '"…"')
    .replace(/[0-9a-f]{8}-[0-9a-f-]{27,}/gi, '<id>')
    .replace(/\d+/g, 'N')
    .slice(0, 60);
}
