import type { IncomingMessage } from 'node:http';
import { PermissionDeniedError } from '../../shared/errors';
import { isLoopbackHost } from '../../shared/loopback';

const SAFE_METHODS = new Set(['GET', 'HEAD']);

/**
 * Refuses what a browser sends on behalf of another site. Without tokens the API trusts
 * whoever reaches the port, and a browser on this machine reaches loopback for any page it
 * shows, so:
 *
 * - **DNS rebinding**: a coordinator that listens on loopback answers only requests whose
 *   Host names loopback (`localhost`, 127.0.0.0/8, `[::1]`); a page whose name was made to
 *   resolve to 127.0.0.1 sends its own name, and is refused (reads included).
 * - **Cross-site requests**: a request that changes something (any method but GET and HEAD)
 *   is refused when the browser says it comes from another site (`Sec-Fetch-Site`) or from
 *   an origin other than the host it is sent to (`Origin`). A form post or a no-cors fetch
 *   carries both; curl and SDKs carry neither.
 *
 * @throws PermissionDeniedError naming the header.
 */
export function checkRequestOrigin(req: IncomingMessage, loopbackOnly: boolean): void {
  const host = req.headers.host ?? '';
  if (loopbackOnly && !isLoopbackHost(hostnameOf(host))) {
    throw new PermissionDeniedError(`the Host header names "${host.slice(0, 100)}": a coordinator listening on loopback answers only to localhost, 127.0.0.1 or [::1] (a guard against DNS rebinding)`);
  }
  if (SAFE_METHODS.has(req.method ?? 'GET')) return;
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') {
    throw new PermissionDeniedError(`a request from another site (Sec-Fetch-Site: ${site.slice(0, 40)}) may not change anything`);
  }
  const origin = req.headers.origin;
  if (origin !== undefined && hostOfOrigin(origin) !== host.toLowerCase()) {
    throw new PermissionDeniedError(`a request from ${origin.slice(0, 100)} may not change anything on ${host.slice(0, 100)} (cross-origin)`);
  }
}

/** `127.0.0.1` of `127.0.0.1:7071`, `::1` of `[::1]:7071`. */
function hostnameOf(host: string): string {
  if (host.startsWith('[')) return host.slice(1, host.indexOf(']') < 0 ? undefined : host.indexOf(']'));
  const colon = host.lastIndexOf(':');
  return (colon < 0 ? host : host.slice(0, colon)).toLowerCase();
}

/** The host:port an Origin header names, or undefined for `null` and malformed ones. */
function hostOfOrigin(origin: string): string | undefined {
  try {
    return new URL(origin).host.toLowerCase();
  } catch {
    return undefined;
  }
}
