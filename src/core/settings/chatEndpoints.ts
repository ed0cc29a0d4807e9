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
