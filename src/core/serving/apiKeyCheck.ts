/**
 * Who may call the server: a Bearer key checked in constant time, keys made from 32 random bytes, and which hosts
 * count as loopback (where a key is optional because only this machine can connect).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

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

export { isLoopbackHost } from '../text/listenAddress';
