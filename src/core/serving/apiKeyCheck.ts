/**
 * Who may call the server: a Bearer key checked in constant time, keys made from 32 random bytes, and which hosts
 * count as loopback (where a key is optional because only this machine can connect).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { isIP } from 'node:net';

/**
 * Whether `Authorization` carries `Bearer <apiKey>`. Both sides are hashed first, so the comparison takes the same
 * time whatever the length or the first wrong character of a guess (`timingSafeEqual` itself needs equal lengths).
 */
export function hasApiKey(authorization: string | undefined, apiKey: string): boolean {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '');
  const presented = match?.[1] ?? '';
  const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();
  return timingSafeEqual(digest(presented), digest(apiKey)) && presented.length > 0;
}

/** A fresh key: `cw-` and 32 random bytes in base64url (256 bits, safe in headers, URLs and environment variables). */
export function generateApiKey(): string {
  return `cw-${randomBytes(32).toString('base64url')}`;
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
