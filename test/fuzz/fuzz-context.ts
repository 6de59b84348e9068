import type { CoordinatorHandle } from '../support/processes';
import type { FuzzConfig } from './fuzz-config';
import type { FuzzReport } from './fuzz-report';
import type { KnownIds } from './known-ids';
import type { RawGrpcClient } from '../support/raw-grpc-client';

/** What every fuzz area shares: one coordinator, one raw client, and what was learned so far. */
export interface FuzzContext {
  readonly config: FuzzConfig;
  readonly coordinator: CoordinatorHandle;
  /** The coordinator's --max-payload-bytes. */
  readonly maxPayloadBytes: number;
  readonly raw: RawGrpcClient;
  readonly report: FuzzReport;
  readonly ids: KnownIds;
  /** Ids of tasks whose SubmitTask or SubmitTasks answered OK: each must still exist at the end. */
  readonly accepted: Set<string>;
  /** Violation signatures already shrunk and recorded. */
  readonly known: Set<string>;
}

/** Remembers a task the coordinator acknowledged. */
export function accept(ctx: FuzzContext, taskId: string | undefined): void {
  if (!taskId) return;
  ctx.accepted.add(taskId);
  ctx.ids.addTask(taskId);
}
