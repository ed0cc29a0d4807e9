import { randomBytes } from 'node:crypto';

/**
 * A new API key for a server that listens beyond loopback: `cw-` and 32 random bytes in base64url (256 bits), so it
 * is one word of printable ASCII that a shell, a header and an `.env` file take as it is.
 */
export function generateServeApiKey(): string {
  return `cw-${randomBytes(32).toString('base64url')}`;
}
