import { type SettingSource } from './settingTrust';

/** One entry of `chatwright.chat.endpoints`, checked. */
export interface ChatEndpointSetting {
  id: string;
  label: string;
  baseUrl: string;
  /** Scheme, host and port of `baseUrl`: the only place the endpoint's API key is ever sent. */
  origin: string;
  /**
   * The legacy way to give a key: the name of an environment variable. Kept only when the endpoint list comes from
   * the user's own settings: from a workspace it would send any variable (a token, `HOME`) to a server it chose.
   */
  apiKeyEnvironmentVariable?: string;
}

/**
 * The endpoints of `chatwright.chat.endpoints` as decided by `effectiveSetting`: malformed entries are dropped,
 * as is any `apiKeyEnvironmentVariable` that does not come from the user's settings.
 */
export function chatEndpointsFrom(value: unknown, source: SettingSource): ChatEndpointSetting[] {
  if (!Array.isArray(value)) return [];
  const seen = new Set<string>();
  return value.flatMap((entry: unknown): ChatEndpointSetting[] => {
    if (typeof entry !== 'object' || entry === null) return [];
    const { id, label, baseUrl, apiKeyEnvironmentVariable } = entry as Record<string, unknown>;
    if (typeof id !== 'string' || !/^[\w.-]{1,64}$/.test(id) || seen.has(id) || typeof baseUrl !== 'string') return [];
    const origin = httpOrigin(baseUrl);
    if (!origin) return [];
    seen.add(id);
    const variable = source === 'user' && typeof apiKeyEnvironmentVariable === 'string' && /^[A-Za-z_]\w{0,127}$/.test(apiKeyEnvironmentVariable) ? apiKeyEnvironmentVariable : undefined;
    return [{ id, label: typeof label === 'string' && label.trim() ? label.trim() : id, baseUrl: baseUrl.trim(), origin, ...(variable ? { apiKeyEnvironmentVariable: variable } : {}) }];
  });
}

/** `http(s)://host[:port]` of a URL, or undefined for anything else (other schemes, credentials in the URL). */
export function httpOrigin(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url.trim());
  } catch {
    return undefined;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return undefined;
  if (parsed.username || parsed.password) return undefined;
  return parsed.origin;
}

/** The SecretStorage key of an endpoint's API key. */
export function endpointSecretKey(endpointId: string): string {
  return `chatwright.chat.endpointApiKey.${endpointId}`;
}

/** What SecretStorage holds for an endpoint: the key with the origin it was entered for. */
export function encodeEndpointSecret(origin: string, apiKey: string): string {
  return JSON.stringify({ origin, apiKey });
}

/**
 * The stored key of an endpoint, only if it was entered for the endpoint's current origin: a workspace that reuses
 * the id with its own `baseUrl` (or a later edit of the URL) gets nothing.
 */
export function decodeEndpointSecret(stored: string | undefined, origin: string): string | undefined {
  if (!stored) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(stored);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { origin: storedOrigin, apiKey } = parsed as Record<string, unknown>;
  return storedOrigin === origin && typeof apiKey === 'string' && apiKey ? apiKey : undefined;
}

/** Where an endpoint's key comes from: SecretStorage first; the user's environment variable for older setups. */
export function endpointApiKey(endpoint: ChatEndpointSetting, stored: string | undefined, env: Record<string, string | undefined>): string | undefined {
  const secret = decodeEndpointSecret(stored, endpoint.origin);
  if (secret) return secret;
  const fromEnvironment = endpoint.apiKeyEnvironmentVariable ? env[endpoint.apiKeyEnvironmentVariable] : undefined;
  return fromEnvironment || undefined;
}

/** A URL typed into "Add Chat Endpoint…", checked: the base URL to store, or why not, and what the user should know. */
export type EndpointUrlCheck = { ok: true; baseUrl: string; origin: string; warning?: string } | { ok: false; error: string };

const loopbackHost = /^(localhost|.+\.localhost|127\.\d+\.\d+\.\d+|\[::1\]|::1)$/i;

export function checkEndpointUrl(input: string): EndpointUrlCheck {
  const text = input.trim();
  if (!text) return { ok: false, error: 'Enter the base URL of the server, e.g. http://localhost:8000/v1.' };
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { ok: false, error: `"${text}" is not a URL. Enter one such as http://localhost:8000/v1.` };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, error: `Only http and https endpoints are supported, not ${url.protocol.replace(/:$/, '')}.` };
  if (url.username || url.password) return { ok: false, error: 'Leave the credentials out of the URL: the API key is asked next and kept in secret storage.' };
  if (url.search || url.hash) return { ok: false, error: 'The base URL has no query or fragment: it ends before /chat/completions, e.g. http://localhost:8000/v1.' };
  const baseUrl = `${url.origin}${url.pathname.replace(/\/+$/, '').replace(/\/chat\/completions$/, '')}`;
  const warning =
    url.protocol === 'http:' && !loopbackHost.test(url.hostname)
      ? `Plain http to ${url.host}: the conversation and the API key travel unencrypted. Prefer https for a server on another machine.`
      : undefined;
  return { ok: true, baseUrl, origin: url.origin, ...(warning ? { warning } : {}) };
}

/** An id for a new endpoint from its label (or host), unique among `taken`: `gpu-box`, `gpu-box-2`… */
export function suggestEndpointId(label: string, taken: readonly string[]): string {
  const stem =
    label
      .toLowerCase()
      .replace(/[^\w.-]+/g, '-')
      .replace(/^[-.]+|[-.]+$/g, '')
      .slice(0, 56) || 'endpoint';
  if (!taken.includes(stem)) return stem;
  for (let n = 2; ; n++) if (!taken.includes(`${stem}-${n}`)) return `${stem}-${n}`;
}

/** The ids of the entries of a raw `chatwright.chat.endpoints` value (malformed entries have none). */
export function endpointIdsIn(value: unknown): string[] {
  return Array.isArray(value)
    ? value.flatMap((entry: unknown) => (typeof entry === 'object' && entry !== null && typeof (entry as { id?: unknown }).id === 'string' ? [(entry as { id: string }).id] : []))
    : [];
}

export interface NewEndpointEntry {
  id: string;
  label: string;
  baseUrl: string;
}

/**
 * The user's endpoint list with `entry` appended. Every other entry is kept as it was (even one this version cannot
 * read). An entry with the same id is replaced in place only when `replace` says so; otherwise this throws.
 */
export function withEndpointAdded(current: unknown, entry: NewEndpointEntry, options: { replace: boolean }): unknown[] {
  if (!/^[\w.-]{1,64}$/.test(entry.id)) throw new Error(`"${entry.id}" cannot be an endpoint id: use 1-64 letters, digits, '.', '-' or '_'.`);
  const list: unknown[] = Array.isArray(current) ? [...(current as unknown[])] : [];
  const at = list.findIndex((e) => typeof e === 'object' && e !== null && (e as { id?: unknown }).id === entry.id);
  const fresh = { id: entry.id, label: entry.label, baseUrl: entry.baseUrl };
  if (at < 0) return [...list, fresh];
  if (!options.replace) throw new Error(`An endpoint with the id "${entry.id}" exists already.`);
  list[at] = fresh;
  return list;
}

/** The user's endpoint list without the entry `id` (the others kept as they were). */
export function withEndpointRemoved(current: unknown, id: string): unknown[] {
  return Array.isArray(current) ? (current as unknown[]).filter((e) => !(typeof e === 'object' && e !== null && (e as { id?: unknown }).id === id)) : [];
}
