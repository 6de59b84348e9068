import { randomBytes } from 'node:crypto';
import { InvalidArgumentError } from '../../shared/errors';

/**
 * A JSON value together with the exact text it was written as. Payloads travel as JSON
 * values, and a payload's bytes must be what its submitter wrote: parsing and writing it
 * again would round 12345678901234567890, turn 1e400 into null and merge duplicate keys.
 */
export class RawJson {
  constructor(
    readonly text: string,
    readonly value: unknown,
  ) {}
}

/** Nesting deeper than this is refused in a request, and shown as base64 in a response. */
export const MAX_JSON_DEPTH = 512;

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
const ESCAPES: Readonly<Record<string, string>> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

/**
 * A strict JSON parser (RFC 8259) for request bodies: duplicate keys are refused (they are
 * data loss, not a choice: which one wins differs between parsers), nesting is limited to
 * {@link MAX_JSON_DEPTH}, objects have no prototype to pollute, and the value of every key
 * in `rawKeys` comes back as a {@link RawJson} holding its exact text (duplicates allowed
 * inside it, since it is the caller's data).
 * @throws InvalidArgumentError naming the position and what was expected.
 */
export function parseJsonBody(text: string, rawKeys: ReadonlySet<string> = new Set()): unknown {
  return parseWhole(text, rawKeys, false);
}

/**
 * True when `text` is one JSON value nested at most {@link MAX_JSON_DEPTH} deep (duplicate
 * keys allowed: it is a payload, its owner's data).
 */
export function isJsonText(text: string): boolean {
  try {
    parseWhole(text, new Set(), true);
    return true;
  } catch {
    return false;
  }
}

function parseWhole(text: string, rawKeys: ReadonlySet<string>, inRaw: boolean): unknown {
  const parser = new Parser(text, rawKeys);
  parser.space();
  const value = parser.value(0, inRaw);
  parser.space();
  if (parser.at < text.length) parser.fail('the end of the body');
  return value;
}

/** Markers that stand for raw texts while JSON.stringify runs; the nonce keeps any client's string from posing as one. */
const MARKER_NONCE = randomBytes(9).toString('base64url');

/**
 * JSON.stringify, with each {@link RawJson} written as its text. The result stays one line
 * only if the raw texts are.
 */
export function stringifyJson(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_key, entry: unknown) => {
    if (!(entry instanceof RawJson)) return entry;
    raws.push(entry.text);
    return `\u0000${MARKER_NONCE}:${raws.length - 1}\u0000`;
  });
  if (raws.length === 0) return text;
  return text.replace(new RegExp(`"\\\\u0000${MARKER_NONCE}:(\\d+)\\\\u0000"`, 'g'), (_m, index: string) => raws[Number(index)] ?? 'null');
}

class Parser {
  at = 0;

  constructor(
    private readonly text: string,
    private readonly rawKeys: ReadonlySet<string>,
  ) {}

  value(depth: number, inRaw: boolean): unknown {
    if (depth > MAX_JSON_DEPTH) throw new InvalidArgumentError(`body: JSON nested deeper than ${MAX_JSON_DEPTH} levels`);
    const c = this.text[this.at];
    if (c === '{') return this.object(depth, inRaw);
    if (c === '[') return this.array(depth, inRaw);
    if (c === '"') return this.string(inRaw);
    if (c === 't') return this.literal('true', true);
    if (c === 'f') return this.literal('false', false);
    if (c === 'n') return this.literal('null', null);
    NUMBER.lastIndex = this.at;
    const match = NUMBER.exec(this.text);
    if (!match) return this.fail('a JSON value');
    this.at += match[0].length;
    return Number(match[0]);
  }

  space(): void {
    for (;;) {
      const c = this.text.charCodeAt(this.at);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) return;
      this.at += 1;
    }
  }

  fail(expected: string): never {
    const found = this.at >= this.text.length ? 'the end of the body' : JSON.stringify(this.text.slice(this.at, this.at + 12));
    throw new InvalidArgumentError(`body: not valid JSON: expected ${expected} at position ${this.at}, found ${found}`);
  }

  private object(depth: number, inRaw: boolean): Record<string, unknown> {
    const object: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    this.at += 1;
    this.space();
    if (this.text[this.at] === '}') {
      this.at += 1;
      return object;
    }
    for (;;) {
      if (this.text[this.at] !== '"') this.fail('a key in double quotes');
      const keyAt = this.at;
      const key = this.string(inRaw);
      this.space();
      if (this.text[this.at] !== ':') this.fail('":"');
      this.at += 1;
      this.space();
      if (!inRaw && Object.prototype.hasOwnProperty.call(object, key)) {
        throw new InvalidArgumentError(`body: not valid JSON: the key ${JSON.stringify(key)} appears twice in one object (position ${keyAt})`);
      }
      const raw = !inRaw && this.rawKeys.has(key);
      const start = this.at;
      const value = this.value(depth + 1, inRaw || raw);
      object[key] = raw ? new RawJson(this.text.slice(start, this.at), value) : value;
      this.space();
      const c = this.text[this.at];
      this.at += 1;
      if (c === '}') return object;
      if (c !== ',') {
        this.at -= 1;
        this.fail('"," or "}"');
      }
      this.space();
    }
  }

  private array(depth: number, inRaw: boolean): unknown[] {
    const array: unknown[] = [];
    this.at += 1;
    this.space();
    if (this.text[this.at] === ']') {
      this.at += 1;
      return array;
    }
    for (;;) {
      array.push(this.value(depth + 1, inRaw));
      this.space();
      const c = this.text[this.at];
      this.at += 1;
      if (c === ']') return array;
      if (c !== ',') {
        this.at -= 1;
        this.fail('"," or "]"');
      }
      this.space();
    }
  }

  /** A string; outside a payload, one that is not well-formed UTF-16 (a lone surrogate, by escape) is refused, as invalid UTF-8 is. */
  private string(inRaw: boolean): string {
    let out = '';
    let from = this.at + 1;
    const start = this.at;
    for (let i = from; ; i += 1) {
      const code = this.text.charCodeAt(i);
      if (Number.isNaN(code)) {
        this.at = i;
        this.fail('the closing double quote');
      }
      if (code === 0x22) {
        this.at = i + 1;
        const value = out + this.text.slice(from, i);
        if (!inRaw && LONE_SURROGATE.test(value)) {
          throw new InvalidArgumentError(`body: the string at position ${start} holds a lone surrogate (a \\uD800-\\uDFFF escape without its pair): not text`);
        }
        return value;
      }
      if (code < 0x20) {
        this.at = i;
        this.fail('no control character inside a string (escape it)');
      }
      if (code !== 0x5c) continue;
      out += this.text.slice(from, i);
      const escape = this.text[i + 1] ?? '';
      if (escape === 'u') {
        const hex = this.text.slice(i + 2, i + 6);
        if (!/^[0-9a-fA-F]{4}$/.test(hex)) {
          this.at = i;
          this.fail('four hex digits after \\u');
        }
        out += String.fromCharCode(parseInt(hex, 16));
        i += 5;
      } else {
        const unescaped = ESCAPES[escape];
        if (unescaped === undefined) {
          this.at = i;
          this.fail('an escape: \\" \\\\ \\/ \\b \\f \\n \\r \\t or \\uXXXX');
        }
        out += unescaped;
        i += 1;
      }
      from = i + 1;
    }
  }

  private literal<T>(word: string, value: T): T {
    if (!this.text.startsWith(word, this.at)) this.fail('a JSON value');
    this.at += word.length;
    return value;
  }
}
