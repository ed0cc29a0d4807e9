/**
 * A server bound to every interface announces `http://0.0.0.0:…` (or `[::]`), which is where it listens, not an
 * address to call: connecting to it fails on some systems, and it means nothing on another machine. On this machine
 * the same server answers at the loopback address of the same family; any other URL is returned unchanged.
 */
export function reachableUrl(url: string): string {
  return url.replace(/^(https?:\/\/)(0\.0\.0\.0|\[::\])(?=[:/?#]|$)/i, (_match, scheme: string, host: string) => `${scheme}${host === '0.0.0.0' ? '127.0.0.1' : '[::1]'}`);
}
