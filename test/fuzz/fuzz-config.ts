/**
 * Knobs of the fuzz suite, read once from the environment:
 *
 * - `FUZZ_RUNS`: a multiplier of the default volume (about 100k cases in about a minute on
 *   two cores). `FUZZ_RUNS=10` runs ten times as many cases; `FUZZ_RUNS=0.05` is a smoke run.
 * - `FUZZ_SEED`: the base seed (a 32-bit integer). Every property derives its own seed from
 *   it and its name, so one value replays the whole run's inputs. Random when unset; always
 *   logged at start.
 * - `FUZZ_ONLY`: runs only the properties whose name contains this text (e.g. `SubmitTask/mutated`).
 */
export interface FuzzConfig {
  readonly seed: number;
  readonly multiplier: number;
  readonly only: string | undefined;
}

/** @throws Error naming the variable when FUZZ_RUNS or FUZZ_SEED is not a number. */
export function readFuzzConfig(env: NodeJS.ProcessEnv = process.env): FuzzConfig {
  const runs = env.FUZZ_RUNS?.trim();
  const multiplier = runs ? Number(runs) : 1;
  if (!Number.isFinite(multiplier) || multiplier <= 0) {
    throw new Error(`FUZZ_RUNS: expected a positive multiplier like 1, 10 or 0.1, got "${runs}"`);
  }
  const seedText = env.FUZZ_SEED?.trim();
  const seed = seedText ? Number(seedText) : freshSeed();
  if (!Number.isSafeInteger(seed)) throw new Error(`FUZZ_SEED: expected an integer, got "${seedText}"`);
  const only = env.FUZZ_ONLY?.trim();
  return { seed: seed | 0, multiplier, only: only ? only : undefined };
}

function freshSeed(): number {
  return (Date.now() ^ Math.floor(Math.random() * 0x7fffffff)) | 0;
}

/** A property's own seed: stable for one base seed, different across property names. */
export function deriveSeed(base: number, name: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i += 1) {
    hash ^= name.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash ^ base) | 0;
}

/** Scales a default count by the multiplier; never below `min`. */
export function scaled(config: FuzzConfig, defaultCount: number, min = 1): number {
  return Math.max(min, Math.round(defaultCount * config.multiplier));
}

export function selected(config: FuzzConfig, propertyName: string): boolean {
  return config.only === undefined || propertyName.includes(config.only);
}
