import { isIP } from 'node:net';

/** True for a host only this machine can reach (`localhost`, 127.0.0.0/8, `::1`, bracketed or not). */
export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  if (bare === 'localhost') return true;
  if (isIP(bare) === 4) return bare.startsWith('127.');
  return bare === '::1';
}
