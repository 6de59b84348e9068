/**
 * A Server-Sent Events reader over a fetch() body. EventSource cannot send an
 * Authorization header, which the coordinator needs when it has tokens.
 */

export interface SseEvent {
  /** The `event:` field, "message" when there was none. */
  event: string;
  data: string;
}

/** Splits a text stream into events; feed it chunks, it calls `emit` per complete event. */
export class SseParser {
  private buffer = '';
  private event = '';
  private data: string[] = [];

  constructor(private readonly emit: (e: SseEvent) => void) {}

  push(chunk: string): void {
    this.buffer += chunk;
    // A lone \r may be followed by the \n of the next chunk; wait for more before deciding.
    let start = 0;
    for (;;) {
      const nl = this.nextBreak(start);
      if (nl < 0) break;
      const line = this.buffer.slice(start, nl);
      const crlf = this.buffer[nl] === '\r' && this.buffer[nl + 1] === '\n';
      start = nl + (crlf ? 2 : 1);
      this.line(line);
    }
    this.buffer = this.buffer.slice(start);
  }

  private nextBreak(from: number): number {
    for (let i = from; i < this.buffer.length; i++) {
      const c = this.buffer[i];
      if (c === '\n') return i;
      if (c === '\r') return i + 1 < this.buffer.length ? i : -1;
    }
    return -1;
  }

  private line(line: string): void {
    if (line === '') {
      if (this.data.length > 0) this.emit({ event: this.event || 'message', data: this.data.join('\n') });
      this.event = '';
      this.data = [];
      return;
    }
    if (line.startsWith(':')) return; // a keep-alive comment
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'data') this.data.push(value);
    else if (field === 'event') this.event = value;
    // id and retry are not used: every watch starts over with a full snapshot.
  }
}

/**
 * Reads `body` to its end, calling `onEvent` per event and `onBytes` whenever anything
 * (comments included) arrives, so that a caller can tell a silent connection from a live one.
 */
export async function readSse(
  body: ReadableStream<Uint8Array>,
  onEvent: (e: SseEvent) => void,
  onBytes: () => void,
): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  const parser = new SseParser(onEvent);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      onBytes();
      parser.push(decoder.decode(value, { stream: true }));
    }
  } finally {
    reader.releaseLock();
  }
}
