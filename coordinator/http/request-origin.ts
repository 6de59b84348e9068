import type { IncomingMessage } from 'node:http';
import { PermissionDeniedError } from '../../shared/errors';
import { isLoopbackHost } from '../../shared/loopback';

const SAFE_METHODS = new Set(['GET', 'HEAD']);

/** What the port knows of where it listens and whom it trusts, for the checks below. */
export interface OriginPolicy {
  /** It listens on loopback only. */
  readonly loopbackOnly: boolean;
  /** A tokens file is loaded: every API call needs a token, which another site's page does not have. */
  readonly tokens: boolean;
  /** Names it answers to besides loopback ones (`--http-hosts`): a reverse proxy's, say. */
  readonly allowedHosts: ReadonlySet<string>;
}

/**
 * **DNS rebinding.** Without tokens the port trusts whoever reaches it, and a browser on this
 * machine reaches loopback for any page it shows: a page whose name was made to resolve to
 * 127.0.0.1 could read the API. So a coordinator that listens on loopback without tokens
 * answers only requests whose Host names loopback (`localhost`, `*.localhost`, 127.0.0.0/8,
 * `[::1]`) or a name in `allowedHosts`; the rebound page sends its own name, and is refused.
 * @throws PermissionDeniedError naming the Host.
 */
export function checkHost(req: IncomingMessage, policy: OriginPolicy): void {
  if (!policy.loopbackOnly || policy.tokens) return;
  const host = req.headers.host ?? '';
  const name = hostnameOf(host);
  if (isLoopbackHost(name) || name === 'localhost' || name.endsWith('.localhost') || policy.allowedHosts.has(name)) return;
  throw new PermissionDeniedError(
    `the Host header names "${host.slice(0, 100)}": a coordinator listening on loopback without tokens answers only to localhost, 127.0.0.1, [::1] and the names in --http-hosts (a guard against DNS rebinding)`,
  );
}

/**
 * **Cross-site requests.** A request that changes something (any method but GET and HEAD)
 * is refused when the browser says it comes from another site (`Sec-Fetch-Site`), or, from
 * a browser that does not say, from an origin other than the host it is sent to (`Origin`).
 * A form post or a no-cors fetch from another site carries these; curl and SDKs carry
 * neither, and a same-origin page (the dashboard, behind any proxy) says `same-origin`.
 * @throws PermissionDeniedError naming the header.
 */
export function checkSameOrigin(req: IncomingMessage): void {
  if (SAFE_METHODS.has(req.method ?? 'GET')) return;
  const site = req.headers['sec-fetch-site'];
  if (site === 'same-origin' || site === 'none') return;
  if (site !== undefined) throw new PermissionDeniedError(`a request from another site (Sec-Fetch-Site: ${site.slice(0, 40)}) may not change anything`);
  const origin = req.headers.origin;
  if (origin === undefined) return;
  const host = req.headers.host ?? '';
  if (!sameHost(origin, host)) throw new PermissionDeniedError(`a request from ${origin.slice(0, 100)} may not change anything on ${host.slice(0, 100)} (cross-origin)`);
}

/** `127.0.0.1` of `127.0.0.1:7071`, `::1` of `[::1]:7071`, lowercase, without a trailing dot. */
function hostnameOf(host: string): string {
  let name: string;
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    name = host.slice(1, end < 0 ? undefined : end);
  } else {
    const colon = host.lastIndexOf(':');
    name = colon < 0 ? host : host.slice(0, colon);
  }
  return name.toLowerCase().replace(/\.$/, '');
}

/** Whether the Origin names the host the request went to, default ports filled in (`http://x` is `x:80`). */
function sameHost(origin: string, host: string): boolean {
  try {
    const from = new URL(origin);
    const to = new URL(`${from.protocol}//${host}`);
    return from.hostname === to.hostname && portOf(from) === portOf(to);
  } catch {
    return false; // `null` and malformed origins
  }
}

function portOf(url: URL): string {
  return url.port || (url.protocol === 'https:' ? '443' : '80');
}
