import { isIP } from 'node:net';

/**
 * A server bound to every interface announces `http://0.0.0.0:…` (or `[::]`), which is where it listens, not an
 * address to call: connecting to it fails on some systems, and it means nothing on another machine. On this machine
 * the same server answers at the loopback address of the same family; any other URL is returned unchanged.
 */
export function reachableUrl(url: string): string {
  return url.replace(/^(https?:\/\/)(0\.0\.0\.0|\[::\])(?=[:/?#]|$)/i, (_match, scheme: string, host: string) => `${scheme}${host === '0.0.0.0' ? '127.0.0.1' : '[::1]'}`);
}

/** 127.0.0.0/8, ::1 (also as an IPv4-mapped address or in brackets) and `localhost`. */
export function isLoopbackHost(host: string): boolean {
  const bare = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  const ipv4 = bare.startsWith('::ffff:') ? bare.slice('::ffff:'.length) : bare;
  if (isIP(ipv4) === 4) return ipv4.startsWith('127.');
  // The URL parser writes an IPv6 address in its shortest form, so every spelling of ::1 compares equal.
  if (isIP(bare) === 6) return new URL(`http://[${bare}]/`).hostname === '[::1]';
  return false;
}
