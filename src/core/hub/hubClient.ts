import { HubApiError, listFiles, listModels, modelInfo, type ListFileEntry } from '@huggingface/hub';
import { hubEndpoint, hubOffline, hubTokenFromEnv } from './cacheLocation';
import { checkCommitId, checkListedFile, checkRepoId, isCommitId } from './cachePaths';
import { isRedirectStatus, redirectTarget, tokenMayGoTo } from './hubRedirects';
import { HubAccessError, HubHttpError, HubNotFoundError, HubOfflineError, HubUnreachableError } from './hubErrors';
import { describeModelFiles, modelCapabilities, type ModelCapabilities, type ModelFiles, type WeightFormat } from './modelFormats';

/** Where and as whom Chatwright talks to the Hub. Build it with `hubConnection`. */
export interface HubConnection {
  endpoint: string;
  offline: boolean;
  /** Never logged; `redactSecrets` removes it from any text that may reach a log. */
  token: string | undefined;
}

/** Reads HF_ENDPOINT, HF_HUB_OFFLINE and HF_TOKEN/HUGGING_FACE_HUB_TOKEN; an explicit token (from SecretStorage) wins. */
export function hubConnection(env: NodeJS.ProcessEnv = process.env, token?: string): HubConnection {
  return { endpoint: hubEndpoint(env), offline: hubOffline(env), token: token?.trim() || hubTokenFromEnv(env) };
}

/**
 * A fetch that adds the token itself rather than handing it to `@huggingface/hub` as `accessToken`: the library
 * rejects tokens that do not start with `hf_` (mirrors and enterprise hubs issue others). The token goes only to the
 * endpoint's own origin (`tokenMayGoTo`), so a `Link: next` page or a redirect elsewhere never sees it. Redirects of
 * GET and HEAD requests are followed here, one hop at a time, to apply that rule and `redirectTarget`'s checks (only
 * http(s), at most `maxRedirects`) to each hop.
 */
export function authorizedFetch(connection: HubConnection): typeof fetch {
  return async (input, init) => {
    const request = input instanceof Request ? input : undefined;
    const method = (init?.method ?? request?.method ?? 'GET').toUpperCase();
    let url = new URL(request ? request.url : input instanceof URL ? input.href : input);
    const follow = method === 'GET' || method === 'HEAD';
    for (let hop = 1; ; hop++) {
      const headers = new Headers(init?.headers ?? request?.headers);
      headers.delete('authorization');
      if (connection.token && tokenMayGoTo(url, connection.endpoint)) headers.set('authorization', `Bearer ${connection.token}`);
      headers.set('user-agent', 'chatwright');
      const response = await fetch(url, { ...(request ? { signal: request.signal } : {}), ...init, method, headers, redirect: 'manual' });
      const location = response.headers.get('location');
      if (!follow || !isRedirectStatus(response.status) || location === null) return response;
      await response.body?.cancel();
      url = redirectTarget(url, location, hop);
    }
  };
}

export type ModelSort = 'downloads' | 'likes' | 'lastModified' | 'createdAt';

export interface ModelSearch {
  text?: string;
  /** Pipeline tag: `text-generation`, `feature-extraction`, `sentence-similarity`… */
  task?: string;
  format?: WeightFormat;
  /** SPDX-like licence id as the Hub tags it (`apache-2.0`, `mit`). */
  license?: string;
  author?: string;
  /** Parameter bounds; models whose count is unknown are kept. */
  minParameters?: number;
  maxParameters?: number;
  sort?: ModelSort;
  limit?: number;
  signal?: AbortSignal;
}

/** One model as search results, the Models view and the CLI show it. */
export interface ModelSummary {
  id: string;
  task: string | undefined;
  libraryName: string | undefined;
  tags: string[];
  license: string | undefined;
  languages: string[];
  downloads: number;
  likes: number;
  lastModified: Date | undefined;
  gated: false | 'auto' | 'manual';
  private: boolean;
  /** From the Hub's safetensors metadata; undefined when the repository has none. */
  parameters: number | undefined;
  files: ModelFiles;
  capabilities: ModelCapabilities;
}

interface RawModel {
  name: string;
  task?: string;
  library_name?: string;
  tags?: string[];
  cardData?: { license?: unknown; language?: unknown };
  safetensors?: { total?: number };
  filePaths?: string[];
  downloads: number;
  likes: number;
  updatedAt: Date;
  gated: false | 'auto' | 'manual';
  private: boolean;
}

const searchFields = ['library_name', 'tags', 'cardData', 'safetensors', 'filePaths'] as const;

/** Searches the Hub's models (`GET /api/models`) through `@huggingface/hub`'s `listModels`. */
export async function searchModels(connection: HubConnection, search: ModelSearch): Promise<ModelSummary[]> {
  if (connection.offline) throw new HubOfflineError('searching models');
  const tags = [...(search.format ? [search.format] : []), ...(search.license ? [`license:${search.license}`] : [])];
  const limit = Math.max(1, Math.min(search.limit ?? 30, 500));
  const results: ModelSummary[] = [];
  const sizeFiltered = search.minParameters !== undefined || search.maxParameters !== undefined;
  try {
    for await (const raw of listModels({
      search: {
        ...(search.text ? { query: search.text } : {}),
        ...(search.task ? { task: search.task as never } : {}),
        ...(search.author ? { owner: search.author } : {}),
        ...(tags.length > 0 ? { tags } : {}),
      },
      hubUrl: connection.endpoint,
      additionalFields: [...searchFields],
      sort: search.sort ?? 'downloads',
      // The size filter is applied here, so ask for more to fill the page.
      limit: sizeFiltered ? Math.min(limit * 4, 500) : limit,
      fetch: abortableFetch(authorizedFetch(connection), search.signal),
    })) {
      const summary = toSummary(raw);
      if (search.minParameters !== undefined && summary.parameters !== undefined && summary.parameters < search.minParameters) continue;
      if (search.maxParameters !== undefined && summary.parameters !== undefined && summary.parameters > search.maxParameters) continue;
      results.push(summary);
      if (results.length >= limit) break;
    }
  } catch (error) {
    throw translateHubError(error, connection, search.text ?? 'search');
  }
  return results;
}

/** A file of a repository at a commit, with what verification needs. */
export interface RepoFile {
  path: string;
  size: number;
  /** Git blob sha1: the ETag and blob name of a non-LFS file. */
  oid: string | undefined;
  /** sha256 of an LFS file's content: its ETag and blob name. */
  lfsSha256: string | undefined;
}

export interface ModelDetails extends ModelSummary {
  /** The commit the revision resolved to. */
  commit: string;
  revision: string;
  repoFiles: RepoFile[];
}

/** Model info (`/api/models/{id}/revision/{rev}`) plus the recursive file tree with LFS metadata (`/tree/{commit}`). */
export async function getModelDetails(connection: HubConnection, repoId: string, revision = 'main', signal?: AbortSignal): Promise<ModelDetails> {
  if (connection.offline) throw new HubOfflineError(`looking up ${repoId}`);
  checkRepoId(repoId);
  const fetchImpl = abortableFetch(authorizedFetch(connection), signal);
  let raw: RawModel & { sha?: string };
  try {
    raw = await modelInfo({ name: repoId, revision, hubUrl: connection.endpoint, additionalFields: [...searchFields, 'sha'], fetch: fetchImpl });
  } catch (error) {
    throw translateHubError(error, connection, repoId);
  }
  // The commit names a folder of the cache and the listing's paths name files in it: both are checked here, before
  // anyone builds a path from them, and the whole listing is refused for one bad entry.
  const source = `the Hub at ${connection.endpoint}`;
  const commit = checkCommitId(raw.sha ?? (isCommitId(revision) ? revision : ''), source);
  const repoFiles: RepoFile[] = [];
  try {
    for await (const entry of listFiles({ repo: { type: 'model', name: repoId }, revision: commit, recursive: true, hubUrl: connection.endpoint, fetch: fetchImpl })) {
      if (entry.type !== 'file') continue;
      const file = toRepoFile(entry);
      checkListedFile(file, source);
      repoFiles.push(file);
    }
  } catch (error) {
    throw translateHubError(error, connection, repoId, raw.gated !== false);
  }
  const summary = toSummary({ ...raw, filePaths: raw.filePaths ?? repoFiles.map((file) => file.path) });
  return { ...summary, commit, revision, repoFiles };
}

function toRepoFile(entry: ListFileEntry): RepoFile {
  return { path: entry.path, size: entry.lfs?.size ?? entry.size, oid: entry.oid, lfsSha256: entry.lfs?.oid };
}

function toSummary(raw: RawModel): ModelSummary {
  const tags = raw.tags ?? [];
  const files = describeModelFiles(raw.filePaths ?? []);
  const cardLicense = typeof raw.cardData?.license === 'string' ? raw.cardData.license : undefined;
  const language = raw.cardData?.language;
  const languages = Array.isArray(language) ? language.filter((item): item is string => typeof item === 'string') : typeof language === 'string' ? [language] : [];
  return {
    id: raw.name,
    task: raw.task,
    libraryName: raw.library_name,
    tags,
    license: cardLicense ?? tags.find((tag) => tag.startsWith('license:'))?.slice('license:'.length),
    languages,
    downloads: raw.downloads ?? 0,
    likes: raw.likes ?? 0,
    lastModified: raw.updatedAt instanceof Date && !Number.isNaN(raw.updatedAt.getTime()) ? raw.updatedAt : undefined,
    gated: raw.gated ?? false,
    private: raw.private ?? false,
    parameters: typeof raw.safetensors?.total === 'number' ? raw.safetensors.total : undefined,
    files,
    capabilities: modelCapabilities(files),
  };
}

/** Turns the library's HubApiError into one of ours, with the access link for gated models. */
export function translateHubError(error: unknown, connection: HubConnection, repoId: string, gated = false): Error {
  if (error instanceof HubApiError) {
    if (error.statusCode === 404) return new HubNotFoundError(repoId);
    if (error.statusCode === 401 || error.statusCode === 403) {
      const isGated = gated || /gated|access/i.test(error.message);
      return new HubAccessError(repoId, error.statusCode, `${connection.endpoint}/${repoId}`, isGated);
    }
    return new HubHttpError(error.url, error.statusCode, error.message.split('. URL:')[0] ?? '');
  }
  if (error instanceof Error && error.name === 'AbortError') return error;
  if (error instanceof TypeError && /fetch failed/i.test(error.message)) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return new HubUnreachableError(connection.endpoint, cause?.code ?? cause?.message ?? 'network error');
  }
  return error instanceof Error ? error : new Error(String(error));
}

function abortableFetch(inner: typeof fetch, signal: AbortSignal | undefined): typeof fetch {
  if (!signal) return inner;
  return (input, init) => inner(input, { ...init, signal });
}
