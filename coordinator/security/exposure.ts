import { isLoopbackHost } from '../../shared/loopback';

function hostOf(address: string): string {
  return address.slice(0, address.lastIndexOf(':'));
}

/**
 * The loud warning for a coordinator that listens beyond loopback with its door open: no
 * TLS (anyone on the path reads every payload) or no credentials (anyone who reaches the
 * port owns the queue). Undefined when there is nothing to warn about.
 */
export function exposureWarning(config: { readonly listen: string; readonly http: string | undefined }, tls: boolean, tokens: boolean): string | undefined {
  const exposed = [config.listen, config.http].filter((address): address is string => address !== undefined && !isLoopbackHost(hostOf(address)));
  if (exposed.length === 0 || (tls && tokens)) return undefined;
  const missing = [tls ? undefined : 'TLS (--tls-cert, --tls-key)', tokens ? undefined : 'tokens (--tokens)'].filter(Boolean).join(' or ');
  const grpcExposed = exposed.includes(config.listen);
  const risk = !tokens
    ? grpcExposed
      ? 'Anyone who can reach the gRPC port can read every task and payload, submit, cancel, and register as a worker.'
      : 'Anyone who can reach the HTTP port can use the HTTP/JSON API and the dashboard: read every task and payload, submit, cancel, pause queues.'
    : 'Tokens and payloads cross the network in plaintext, for anyone on the path to read.';
  return `INSECURE: listening on ${exposed.join(' and ')}, beyond loopback, without ${missing}. ${risk} See docs/security.md.`;
}
