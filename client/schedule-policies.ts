import { InvalidArgumentError } from '../shared/errors';
import { CatchUpPolicy, OverlapPolicy } from '../shared/gen/baton/v1/schedule';

/** What a fire does while the previous fire's task is unfinished, as the SDK and CLI name it. */
export type OverlapPolicyName = 'allow' | 'skip' | 'buffer-one';
/** Which missed fire times fire after downtime, as the SDK and CLI name it. */
export type CatchUpPolicyName = 'skip' | 'one' | 'all';

/** The overlap policies a user may name. */
export const OVERLAP_POLICY_NAMES: readonly OverlapPolicyName[] = ['allow', 'skip', 'buffer-one'];
/** The catch-up policies a user may name. */
export const CATCH_UP_POLICY_NAMES: readonly CatchUpPolicyName[] = ['skip', 'one', 'all'];

// UNSPECIFIED is named after what it means, as schedule.proto defines it.
const OVERLAP_NAMES: Readonly<Record<OverlapPolicy, OverlapPolicyName>> = {
  [OverlapPolicy.OVERLAP_POLICY_UNSPECIFIED]: 'skip',
  [OverlapPolicy.OVERLAP_POLICY_ALLOW]: 'allow',
  [OverlapPolicy.OVERLAP_POLICY_SKIP]: 'skip',
  [OverlapPolicy.OVERLAP_POLICY_BUFFER_ONE]: 'buffer-one',
};

const CATCH_UP_NAMES: Readonly<Record<CatchUpPolicy, CatchUpPolicyName>> = {
  [CatchUpPolicy.CATCH_UP_POLICY_UNSPECIFIED]: 'one',
  [CatchUpPolicy.CATCH_UP_POLICY_SKIP]: 'skip',
  [CatchUpPolicy.CATCH_UP_POLICY_ONE]: 'one',
  [CatchUpPolicy.CATCH_UP_POLICY_ALL]: 'all',
};

const OVERLAP_BY_NAME: ReadonlyMap<string, OverlapPolicy> = new Map([
  ['allow', OverlapPolicy.OVERLAP_POLICY_ALLOW],
  ['skip', OverlapPolicy.OVERLAP_POLICY_SKIP],
  ['buffer-one', OverlapPolicy.OVERLAP_POLICY_BUFFER_ONE],
]);

const CATCH_UP_BY_NAME: ReadonlyMap<string, CatchUpPolicy> = new Map([
  ['skip', CatchUpPolicy.CATCH_UP_POLICY_SKIP],
  ['one', CatchUpPolicy.CATCH_UP_POLICY_ONE],
  ['all', CatchUpPolicy.CATCH_UP_POLICY_ALL],
]);

/**
 * `OverlapPolicy.OVERLAP_POLICY_BUFFER_ONE` → `'buffer-one'`. UNSPECIFIED is named as the
 * policy it stands for (`'skip'`), and so is a value this client does not know.
 */
export function overlapPolicyName(policy: OverlapPolicy): OverlapPolicyName {
  return OVERLAP_NAMES[policy] ?? 'skip';
}

/** `CatchUpPolicy.CATCH_UP_POLICY_ALL` → `'all'`; UNSPECIFIED (and unknown values) → `'one'`, the default. */
export function catchUpPolicyName(policy: CatchUpPolicy): CatchUpPolicyName {
  return CATCH_UP_NAMES[policy] ?? 'one';
}

/**
 * Parses an overlap policy, case-insensitively: `'buffer-one'`, `'buffer_one'` and
 * `'OVERLAP_POLICY_BUFFER_ONE'` all work.
 * @param what names the value in the error, e.g. `"--overlap"`.
 * @throws InvalidArgumentError naming `what` and listing the valid names.
 */
export function parseOverlapPolicy(name: string, what = 'overlap'): OverlapPolicy {
  return parsePolicy(name, what, 'overlap_policy_', OVERLAP_BY_NAME, OVERLAP_POLICY_NAMES);
}

/** Parses a catch-up policy like {@link parseOverlapPolicy}: `'all'`, `'CATCH_UP_POLICY_ALL'`. */
export function parseCatchUpPolicy(name: string, what = 'catchUp'): CatchUpPolicy {
  return parsePolicy(name, what, 'catch_up_policy_', CATCH_UP_BY_NAME, CATCH_UP_POLICY_NAMES);
}

function parsePolicy<T>(name: string, what: string, prefix: string, byName: ReadonlyMap<string, T>, names: readonly string[]): T {
  const lower = String(name).trim().toLowerCase();
  const bare = lower.startsWith(prefix) ? lower.slice(prefix.length) : lower;
  const policy = byName.get(bare.replace(/_/g, '-'));
  if (policy === undefined) {
    throw new InvalidArgumentError(`${what}: unknown policy "${name}"; expected one of ${names.join(', ')}`);
  }
  return policy;
}
