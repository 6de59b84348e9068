/**
 * The Redis client BullMQ talks through. BullMQ 6 ships none: `ioredis` (its usual one) and
 * `redis` (node-redis) are optional peer dependencies. The comparison uses ioredis when it
 * resolves, node-redis otherwise (BENCH_BULLMQ_CLIENT forces one), and skips BullMQ when
 * neither does. The worker processes are told which one by argument, so all agree.
 *
 * With ioredis BullMQ opens and closes its connections from options; a node-redis client is
 * handed to BullMQ connected, and closed here after BullMQ is done with it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ConnectionOptions } from 'bullmq';
import { REPO_ROOT } from '../../test/support/processes';

export type BullmqClientKind = 'ioredis' | 'node-redis';

export interface BullmqClient {
  readonly kind: BullmqClientKind;
  /** Of the package, e.g. `5.11.1`. */
  readonly version: string;
}

/** A connection for one BullMQ object, and what frees it once that object is closed. */
export interface BullmqConnection {
  readonly connection: ConnectionOptions;
  release(): Promise<void>;
}

const PACKAGES: Readonly<Record<BullmqClientKind, string>> = { ioredis: 'ioredis', 'node-redis': 'redis' };

/** The client to use, or why there is none. */
export function findBullmqClient(): BullmqClient | { readonly missing: string } {
  const forced = process.env.BENCH_BULLMQ_CLIENT;
  if (forced !== undefined && forced !== 'ioredis' && forced !== 'node-redis') {
    return { missing: `BENCH_BULLMQ_CLIENT: expected ioredis or node-redis, got "${forced}"` };
  }
  const kinds: BullmqClientKind[] = forced ? [forced] : ['ioredis', 'node-redis'];
  for (const kind of kinds) {
    const version = installedVersion(PACKAGES[kind]);
    if (version !== undefined) return { kind, version };
  }
  return {
    missing:
      `BullMQ needs a Redis client package and ${kinds.map((k) => PACKAGES[k]).join(' / ')} is not installed ` +
      '(add ioredis as a dev dependency: npm install -D ioredis@5.11.1, the version BullMQ 6.7.0 is tested with)',
  };
}

/** The package's version when `require` finds it from the repository (NODE_PATH included). */
function installedVersion(name: string): string | undefined {
  let main: string;
  try {
    main = require.resolve(name, { paths: [REPO_ROOT] });
  } catch {
    return undefined;
  }
  for (let dir = dirname(main); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (!existsSync(manifest)) continue;
    const parsed = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
    if (parsed.name === name) return parsed.version ?? 'unknown';
  }
  return 'unknown';
}

interface NodeRedisClient {
  connect(): Promise<unknown>;
  quit(): Promise<unknown>;
  readonly isOpen: boolean;
}

/** A connection to 127.0.0.1:`port` for one Queue or QueueEvents. */
export async function openBullmqConnection(kind: BullmqClientKind, port: number): Promise<BullmqConnection> {
  if (kind === 'ioredis') return { connection: { host: '127.0.0.1', port }, release: () => Promise.resolve() };
  // Required, not imported: the way BullMQ and the worker processes find it (NODE_PATH included).
  const nodeRedis = createRequire(join(REPO_ROOT, 'package.json'))(PACKAGES[kind]) as { createClient(options: unknown): NodeRedisClient };
  const client = nodeRedis.createClient({ socket: { host: '127.0.0.1', port } });
  await client.connect();
  return {
    connection: client as unknown as ConnectionOptions,
    release: async () => {
      if (client.isOpen) await client.quit();
    },
  };
}
