import { inspect } from 'node:util';

/** The longest progress message the coordinator accepts (`ProgressReport.message`), in UTF-8 bytes. */
export const MAX_PROGRESS_MESSAGE_BYTES = 512;

/** One `ctx.progress()` call, checked: what the coalescer keeps. */
export interface CheckedProgress {
  readonly fraction: number;
  readonly message: string;
}

/**
 * Checks the arguments of `ctx.progress()` as a handler written in plain JavaScript may pass
 * them: the coordinator ends the whole stream on a fraction out of range, so a bad one must
 * fail the call here, where the handler's author sees it.
 * @throws RangeError naming the value when `fraction` is not a finite number in [0, 1].
 * @throws TypeError when `message` is given and is not a string.
 * @returns the fraction (-0 as 0) and the message, cut to {@link MAX_PROGRESS_MESSAGE_BYTES}.
 */
export function checkProgress(fraction: unknown, message: unknown): CheckedProgress {
  if (typeof fraction !== 'number' || !(fraction >= 0 && fraction <= 1)) {
    throw new RangeError(`ctx.progress: fraction must be a finite number in [0, 1], got ${inspect(fraction, { depth: 0 })}`);
  }
  if (message !== undefined && typeof message !== 'string') {
    throw new TypeError(`ctx.progress: message must be a string, got ${typeof message}`);
  }
  // `+ 0` turns -0 into 0: the same progress, and one less oddity on the wire.
  return { fraction: fraction + 0, message: truncateUtf8(message ?? '', MAX_PROGRESS_MESSAGE_BYTES) };
}

/**
 * `text` if its UTF-8 encoding fits in `maxBytes`, else its longest prefix that does, cut
 * between characters (code points): never inside a multi-byte sequence or a surrogate pair.
 */
export function truncateUtf8(text: string, maxBytes: number): string {
  // Each UTF-16 unit is at most 3 UTF-8 bytes: short strings (nearly all) need no encoding.
  if (text.length * 3 <= maxBytes || Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  const bytes = Buffer.from(text, 'utf8');
  let end = maxBytes;
  // bytes[end] is the first byte cut off; while it continues a character, that character
  // started before `end` and must go too.
  while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end -= 1;
  return bytes.subarray(0, end).toString('utf8');
}
