/**
 * The DNS-rebinding defence of a server bound to loopback. A web page the user opens can make their browser send
 * requests to `http://evil.example:8765/` after pointing `evil.example` at 127.0.0.1; the browser then treats our
 * answers as that page's own and lets its script read them, so any page could drive the user's local model. The
 * browser still sends `Host: evil.example:8765`, so a loopback server accepts only requests whose `Host` names a
 * loopback address or `localhost`. (CORS is not the defence: the server sends no `Access-Control-Allow-Origin` at
 * all, which stops cross-origin pages from reading answers but not a rebound page, which is same-origin.)
 */
import { isLoopbackHost } from './apiKeyCheck';

/** The host part of a `Host` header (`[::1]:8765` → `::1`, `localhost:8765` → `localhost`), or undefined when malformed. */
export function hostHeaderName(header: string): string | undefined {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(header.trim());
  return match?.[1]?.replace(/^\[(.*)\]$/, '$1');
}

/** Whether a request reached a loopback-bound server under a loopback name (a missing header is refused too). */
export function isLoopbackHostHeader(header: string | undefined): boolean {
  if (header === undefined) return false;
  const name = hostHeaderName(header);
  return name !== undefined && isLoopbackHost(name);
}
