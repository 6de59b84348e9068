/** The coordinator's HTTP/JSON API as curl would use it, with Node's fetch. */

export interface ApiReply {
  readonly status: number;
  readonly headers: Headers;
  /** The body parsed as JSON (undefined when empty). */
  readonly json: unknown;
  readonly text: string;
}

/** The JSON error body every refusal has. */
export interface ApiErrorBody {
  readonly error: { readonly code: number; readonly status: string; readonly message: string };
}

export class HttpApi {
  constructor(
    readonly base: string,
    private readonly token?: string,
  ) {}

  /** The same API with `authorization: Bearer TOKEN`. */
  withToken(token: string): HttpApi {
    return new HttpApi(this.base, token);
  }

  get(path: string): Promise<ApiReply> {
    return this.request('GET', path);
  }

  /** Sends `body` as JSON (a string is sent as it is: for bad JSON). */
  post(path: string, body?: unknown): Promise<ApiReply> {
    return this.request('POST', path, body);
  }

  async request(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<ApiReply> {
    const response = await fetch(`${this.base}${path}`, {
      method,
      headers: { ...this.authHeaders(), ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
      ...(body === undefined ? {} : { body: typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = text === '' ? undefined : (JSON.parse(text) as unknown);
    } catch {
      json = undefined;
    }
    return { status: response.status, headers: response.headers, json, text };
  }

  /**
   * Reads a Server-Sent Events stream until `event: end` (or until `stop` says so, which
   * closes it), and returns the events, each with its data parsed as JSON.
   */
  async events(path: string, stop: (events: readonly SseEvent[]) => boolean = () => false): Promise<{ status: number; events: SseEvent[] }> {
    const controller = new AbortController();
    const response = await fetch(`${this.base}${path}`, { headers: this.authHeaders(), signal: controller.signal });
    const events: SseEvent[] = [];
    if (!response.ok || !response.body) return { status: response.status, events: [{ event: 'http-error', data: JSON.parse(await response.text()) as unknown }] };
    const decoder = new TextDecoder();
    let buffer = '';
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let blank: number;
        while ((blank = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, blank);
          buffer = buffer.slice(blank + 2);
          const event = parseEvent(block);
          if (!event) continue;
          events.push(event);
          if (event.event === 'end' || stop(events)) return { status: response.status, events };
        }
      }
    } finally {
      controller.abort();
    }
    return { status: response.status, events };
  }

  private authHeaders(): Record<string, string> {
    return this.token === undefined ? {} : { authorization: `Bearer ${this.token}` };
  }
}

export interface SseEvent {
  /** `message` unless the block named another. */
  readonly event: string;
  readonly data: unknown;
}

function parseEvent(block: string): SseEvent | undefined {
  let event = 'message';
  const data: string[] = [];
  for (const line of block.split('\n')) {
    if (line.startsWith(':')) continue;
    if (line.startsWith('event: ')) event = line.slice('event: '.length);
    else if (line.startsWith('data: ')) data.push(line.slice('data: '.length));
  }
  if (data.length === 0) return undefined;
  return { event, data: JSON.parse(data.join('\n')) as unknown };
}

/** The error body of a refusal, checked for its shape. */
export function apiError(reply: ApiReply): ApiErrorBody['error'] {
  const body = reply.json as ApiErrorBody | undefined;
  if (!body?.error || typeof body.error.message !== 'string') throw new Error(`expected a JSON error body, got ${reply.status} ${reply.text.slice(0, 200)}`);
  return body.error;
}
