import type { CliIo } from '../../../../client/cli/cli-io';

/** A CliIo that records what the CLI prints. */
export interface FakeIo {
  readonly io: CliIo;
  readonly stdout: () => string;
  readonly stderr: () => string;
}

export function fakeIo(env: Record<string, string | undefined> = {}, signal?: AbortSignal): FakeIo {
  let out = '';
  let err = '';
  const io: CliIo = {
    stdout: (s) => {
      out += s;
    },
    stderr: (s) => {
      err += s;
    },
    env,
    ...(signal ? { signal } : {}),
  };
  return { io, stdout: () => out, stderr: () => err };
}
