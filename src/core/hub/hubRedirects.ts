/**
 * Who gets the Hub token, and which redirects are followed: one rule for every request Chatwright makes to the Hub
 * (the downloader's node:http and direct transfers, and the `fetch` that `@huggingface/hub` calls).
 *
 * The token is bound to the endpoint's full origin (scheme, host, port): a redirect from https to http on the same
 * host, to another port, or to a CDN host never carries it, and neither does a pagination link pointing elsewhere.
 * huggingface_hub drops it for other hosts too; undici's fetch drops it on cross-origin redirects, but not on the
 * URLs the library itself requests from a server's `Link` header, so the rule is applied per request here.
 */

/** Redirects followed for one request before giving up (the Hub uses one or two: a renamed repository, the CDN). */
export const maxRedirects = 10;

/** True when a request to `target` may carry the token issued for the Hub at `endpoint`. */
export function tokenMayGoTo(target: URL | string, endpoint: string): boolean {
  let url: URL;
  let hub: URL;
  try {
    url = typeof target === 'string' ? new URL(target) : target;
    hub = new URL(endpoint);
  } catch {
    return false;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return false;
  // URL normalises default ports and the host's case, so origins compare as strings.
  return url.origin === hub.origin;
}

/** A redirect that is not followed: to a scheme other than http(s), unparsable, or one too many. */
export class HubRedirectError extends Error {
  constructor(
    readonly from: string,
    message: string,
  ) {
    super(message);
    this.name = 'HubRedirectError';
  }
}

/**
 * The URL a redirect leads to, after the checks: `location` resolved against `from`, http or https only, and at most
 * `maxRedirects` hops (`hop` counts from 1). Query strings (signed CDN URLs) are left out of messages.
 */
export function redirectTarget(from: URL, location: string, hop: number): URL {
  const shown = withoutQuery(from);
  if (hop > maxRedirects) throw new HubRedirectError(shown, `${shown} redirected more than ${maxRedirects} times; giving up (a redirect loop on the server?).`);
  let target: URL;
  try {
    target = new URL(location, from);
  } catch {
    throw new HubRedirectError(shown, `${shown} redirected to ${JSON.stringify(location.slice(0, 200))}, which is not a URL.`);
  }
  if (target.protocol !== 'https:' && target.protocol !== 'http:') throw new HubRedirectError(shown, `${shown} redirected to a ${target.protocol} URL; only http and https redirects are followed.`);
  return target;
}

export function isRedirectStatus(status: number): boolean {
  return status === 301 || status === 302 || status === 303 || status === 307 || status === 308;
}

export function withoutQuery(url: URL | string): string {
  const parsed = new URL(url);
  parsed.search = '';
  parsed.username = '';
  parsed.password = '';
  return parsed.toString();
}
