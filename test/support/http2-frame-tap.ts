import { connect, createServer, type Server, type Socket } from 'node:net';

/** HTTP/2 frame type names by type code (RFC 9113 §6); others are counted as `TYPE_<code>`. */
const FRAME_TYPE_NAMES = [
  'DATA',
  'HEADERS',
  'PRIORITY',
  'RST_STREAM',
  'SETTINGS',
  'PUSH_PROMISE',
  'PING',
  'GOAWAY',
  'WINDOW_UPDATE',
  'CONTINUATION',
] as const;

/** The connection preface a client sends before its first frame. */
const CLIENT_PREFACE_BYTES = 24;
const FRAME_HEADER_BYTES = 9;
const GOAWAY_TYPE = 7;

/** HTTP/2 error code names (RFC 9113 §7) for the ones a test is likely to see. */
const ERROR_CODE_NAMES: Readonly<Record<number, string>> = { 0: 'NO_ERROR', 1: 'PROTOCOL_ERROR', 2: 'INTERNAL_ERROR', 11: 'ENHANCE_YOUR_CALM' };

export type Direction = 'fromClient' | 'fromServer';

/** A GOAWAY frame the tap saw, with how many RST_STREAMs the client had sent by then. */
export interface SeenGoAway {
  readonly direction: Direction;
  readonly lastStreamId: number;
  readonly errorCode: number;
  readonly clientResetsBefore: number;
}

/** Splits one direction of a connection into frames; feed it the bytes in order. */
class FrameReader {
  private pending = Buffer.alloc(0);

  constructor(
    private prefaceBytesLeft: number,
    private readonly onFrame: (type: number, payload: Buffer) => void,
  ) {}

  push(chunk: Buffer): void {
    this.pending = Buffer.concat([this.pending, chunk]);
    if (this.prefaceBytesLeft > 0) {
      const skipped = Math.min(this.prefaceBytesLeft, this.pending.length);
      this.pending = this.pending.subarray(skipped);
      this.prefaceBytesLeft -= skipped;
    }
    while (this.pending.length >= FRAME_HEADER_BYTES) {
      const length = this.pending.readUIntBE(0, 3);
      if (this.pending.length < FRAME_HEADER_BYTES + length) return;
      const type = this.pending[3] ?? -1;
      this.onFrame(type, this.pending.subarray(FRAME_HEADER_BYTES, FRAME_HEADER_BYTES + length));
      this.pending = this.pending.subarray(FRAME_HEADER_BYTES + length);
    }
  }
}

/**
 * A TCP relay on 127.0.0.1 in front of an HTTP/2 (cleartext) server that counts the frames
 * going each way and records GOAWAYs. Point a client at `address` to see what it really
 * sends (RST_STREAM for every cancelled stream) and how the server answers. Each tap is its
 * own address, so grpc-js gives the clients that use it their own connection.
 */
export class Http2FrameTap {
  readonly goAways: SeenGoAway[] = [];
  private readonly counts: Record<Direction, Map<string, number>> = { fromClient: new Map(), fromServer: new Map() };
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  /** Starts relaying `127.0.0.1:<free port>` to `127.0.0.1:targetPort`. */
  static async start(targetPort: number): Promise<Http2FrameTap> {
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('the frame tap has no port');
    const tap = new Http2FrameTap(server, address.port);
    server.on('connection', (socket) => tap.relay(socket, targetPort));
    return tap;
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  /** Frames of `type` (`'RST_STREAM'`, `'GOAWAY'`, ...) seen going `direction`. */
  count(direction: Direction, type: string): number {
    return this.counts[direction].get(type) ?? 0;
  }

  /** One line for an assertion message: resets sent, GOAWAYs received. */
  describe(): string {
    const goAways = this.goAways
      .filter((goAway) => goAway.direction === 'fromServer')
      .map((goAway) => `GOAWAY ${ERROR_CODE_NAMES[goAway.errorCode] ?? goAway.errorCode} (last stream ${goAway.lastStreamId}) after ${goAway.clientResetsBefore} RST_STREAMs`);
    return `client sent ${this.count('fromClient', 'RST_STREAM')} RST_STREAMs; server sent ${goAways.length === 0 ? 'no GOAWAY' : goAways.join(', ')}`;
  }

  /** Stops listening and drops every relayed connection. Idempotent. */
  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    if (!this.server.listening) return;
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private relay(client: Socket, targetPort: number): void {
    const upstream = connect(targetPort, '127.0.0.1');
    for (const socket of [client, upstream]) {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined); // the other side's close follows; nothing to report
    }
    const fromClient = new FrameReader(CLIENT_PREFACE_BYTES, (type, payload) => this.seen('fromClient', type, payload));
    const fromServer = new FrameReader(0, (type, payload) => this.seen('fromServer', type, payload));
    client.on('data', (chunk: Buffer) => {
      fromClient.push(chunk);
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      fromServer.push(chunk);
      client.write(chunk);
    });
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  }

  private seen(direction: Direction, type: number, payload: Buffer): void {
    const name = FRAME_TYPE_NAMES[type] ?? `TYPE_${type}`;
    const counts = this.counts[direction];
    counts.set(name, (counts.get(name) ?? 0) + 1);
    if (type === GOAWAY_TYPE && payload.length >= 8) {
      this.goAways.push({
        direction,
        lastStreamId: payload.readUInt32BE(0) & 0x7fffffff,
        errorCode: payload.readUInt32BE(4),
        clientResetsBefore: this.count('fromClient', 'RST_STREAM'),
      });
    }
  }
}
