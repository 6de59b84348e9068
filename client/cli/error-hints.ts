/** What to change on the command line for errors whose message speaks of something else (OpenSSL, gRPC). */
const HINTS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^UNAUTHENTICATED/, 'pass --token TOKEN or set BATON_TOKEN'],
  [/certificate required/, 'the coordinator wants a client certificate: pass --tls-cert and --tls-key'],
  [/self.signed certificate|unable to (verify|get local issuer)|certificate verify failed/, "the coordinator's certificate is not signed by the CA given with --tls-ca"],
  [/wrong version number|packet length too long/, 'the coordinator does not speak TLS on that port: leave out --tls-ca, or use its TLS address'],
];

export function hintFor(text: string): string | undefined {
  return HINTS.find(([pattern]) => pattern.test(text))?.[1];
}
