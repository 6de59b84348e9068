/** The highest TCP port number. */
export const MAX_PORT = 65535;

/** `HOST:PORT`: everything before the last colon is the host (an IPv6 one in brackets), then 1–5 digits. */
const HOST_PORT = /^(.+):(\d{1,5})$/;

/**
 * Splits a `HOST:PORT` address, as the coordinator's `listen` and `http` settings, the
 * worker's coordinator address and its metrics address are written.
 * @returns the host as written (brackets of an IPv6 host kept) and the port; undefined when
 *   `address` is not of that form or the port is above {@link MAX_PORT}.
 */
export function splitHostPort(address: string): { readonly host: string; readonly port: number } | undefined {
  const match = HOST_PORT.exec(address);
  if (!match?.[1] || match[2] === undefined) return undefined;
  const port = Number(match[2]);
  return port <= MAX_PORT ? { host: match[1], port } : undefined;
}
