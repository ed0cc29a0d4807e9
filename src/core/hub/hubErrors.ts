import { formatBytes } from '../text/byteSize';

/** Errors from talking to the Hub, each with a message that says what to do. The token never appears in them. */

export class HubOfflineError extends Error {
  constructor(action: string) {
    super(`HF_HUB_OFFLINE is set, so Chatwright does not contact the Hub (${action}). Unset it, or use models already in the cache ('chatwright models ls').`);
    this.name = 'HubOfflineError';
  }
}

/** The Hub (or the mirror in HF_ENDPOINT) did not answer at all: no network, a firewall, a wrong endpoint. */
export class HubUnreachableError extends Error {
  constructor(
    readonly endpoint: string,
    readonly reason: string,
  ) {
    super(`Cannot reach the Hub at ${endpoint} (${reason}). Check the network or HF_ENDPOINT; set HF_HUB_OFFLINE=1 to work from the cache.`);
    this.name = 'HubUnreachableError';
  }
}

export class HubNotFoundError extends Error {
  constructor(
    readonly repoId: string,
    what = 'model',
  ) {
    super(
      `${what === 'model' ? `Model '${repoId}'` : `${what} of '${repoId}'`} was not found on the Hub. Check the id (org/name); private models need a token ('Chatwright: Set Hugging Face Token' or HF_TOKEN).`,
    );
    this.name = 'HubNotFoundError';
  }
}

/** A gated or private model that the current token (or no token) may not read. */
export class HubAccessError extends Error {
  constructor(
    readonly repoId: string,
    readonly status: 401 | 403,
    readonly accessUrl: string,
    readonly gated: boolean,
  ) {
    super(
      status === 401
        ? `'${repoId}' is ${gated ? 'gated' : 'private'}: sign in with a token that has access ('Chatwright: Set Hugging Face Token' or HF_TOKEN)${gated ? `, after requesting access at ${accessUrl}` : ''}.`
        : `Your token has no access to '${repoId}'${gated ? `: request access at ${accessUrl} and try again once it is granted` : ''}.`,
    );
    this.name = 'HubAccessError';
  }
}

export class HubHttpError extends Error {
  constructor(
    readonly url: string,
    readonly status: number,
    detail: string,
  ) {
    super(`The Hub answered ${status} for ${url}${detail ? `: ${detail}` : ''}`);
    this.name = 'HubHttpError';
  }
}

/** The download's bytes do not hash to what the Hub's metadata promises. */
export class HubIntegrityError extends Error {
  constructor(
    readonly path: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`${path}: the downloaded file is corrupt (sha ${actual.slice(0, 12)}…, expected ${expected.slice(0, 12)}…); it was discarded. Try again.`);
    this.name = 'HubIntegrityError';
  }
}

/** The user cancelled a download; the next one resumes from the `.incomplete` files. */
export class DownloadCancelledError extends Error {
  constructor() {
    super('Download cancelled. What was transferred is kept in the cache and resumes next time.');
    this.name = 'DownloadCancelledError';
  }
}

/** The cache's disk has less free space than the files still to transfer. */
export class InsufficientDiskSpaceError extends Error {
  constructor(
    readonly neededBytes: number,
    readonly freeBytes: number,
    folder: string,
  ) {
    super(`Not enough free disk space in ${folder}: the download needs ${formatBytes(neededBytes)}, ${formatBytes(freeBytes)} are free. Free some space or set HF_HUB_CACHE to another disk.`);
    this.name = 'InsufficientDiskSpaceError';
  }
}

/** Replaces every occurrence of the given secrets (tokens) in a text, for logs and error messages. */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let result = text;
  for (const secret of secrets) if (secret && secret.length >= 4) result = result.split(secret).join('hf_***');
  return result.replace(/\bhf_[A-Za-z0-9]{20,}\b/g, 'hf_***').replace(/(authorization:\s*bearer\s+)\S+/gi, '$1***');
}
