import { homedir } from 'node:os';
import { isAbsolute, join, normalize, resolve } from 'node:path';
import { clamp } from '../text/clamp';
import { settingDefaults } from './settingDefaults';

/**
 * Who decides each `chatwright.*` setting, and the bounds of every number. The extension's `Config` and the language
 * server both apply these; `docs/settings-trust.md` explains each row, and a unit test holds package.json to them.
 */

/** The part of VS Code's `WorkspaceConfiguration.inspect()` answer that decides a value. */
export interface InspectedSetting {
  defaultValue?: unknown;
  globalValue?: unknown;
  workspaceValue?: unknown;
  workspaceFolderValue?: unknown;
}

/** Where a value came from: `user` is the user's own settings, the two workspace levels are the repository's. */
export type SettingSource = 'default' | 'user' | 'workspace' | 'workspaceFolder';

/**
 * - `anywhere`: harmless to take from any workspace (what to check, what to show, which files of the workspace itself).
 * - `restricted`: names a file to load, a model, an endpoint or a resource limit: a workspace sets it only once trusted;
 *   in Restricted Mode the user's own settings (or the default) count. Listed in `restrictedConfigurations`.
 * - `userOnly`: a secret's destination or the machine's resources: only the user's own settings, trusted or not
 *   (machine scope, so VS Code drops workspace values too; this is the second lock).
 */
export type SettingTrust = 'anywhere' | 'restricted' | 'userOnly';

export interface NumberBounds {
  min: number;
  max: number;
  fallback: number;
  integer: boolean;
}

export interface SettingRule {
  trust: SettingTrust;
  /** Numbers: the range package.json declares (`minimum`/`maximum`; the fallback is the default); values outside it are clamped. */
  bounds?: NumberBounds;
}

/** The settings whose default is a number. */
type NumberSettingKey = { [K in keyof typeof settingDefaults]: (typeof settingDefaults)[K] extends number ? K : never }[keyof typeof settingDefaults];

/** Whole-number bounds whose fallback is the setting's declared default. */
const integer = (min: number, max: number, key: NumberSettingKey): NumberBounds => ({ min, max, fallback: settingDefaults[key], integer: true });

/** Every `chatwright.*` setting, by key without the `chatwright.` prefix: exactly the keys of `settingDefaults`. */
export const settingRules = {
  'datasets.diagnostics': { trust: 'anywhere' },
  'datasets.formats': { trust: 'anywhere' },
  'datasets.maxTokens': { trust: 'restricted', bounds: integer(0, 1_048_576, 'datasets.maxTokens') },
  'datasets.tokenizerPath': { trust: 'restricted' },
  'datasets.minRows': { trust: 'anywhere', bounds: integer(0, 1_000_000, 'datasets.minRows') },
  'models.hubEndpoint': { trust: 'userOnly' },
  'models.downloadConcurrency': { trust: 'userOnly', bounds: integer(1, 16, 'models.downloadConcurrency') },
  'models.offline': { trust: 'userOnly' },
  'chat.endpoints': { trust: 'restricted' },
  'engine.executionProvider': { trust: 'userOnly' },
  'engine.threads': { trust: 'userOnly', bounds: integer(0, 256, 'engine.threads') },
  'engine.idleUnloadMinutes': { trust: 'userOnly', bounds: { min: 0, max: 10_080, fallback: settingDefaults['engine.idleUnloadMinutes'], integer: false } },
  'engine.spinWhileGenerating': { trust: 'userOnly' },
  'prompts.diagnostics': { trust: 'anywhere' },
  'prompts.previewModel': { trust: 'restricted' },
  'prompts.renderTimeoutMs': { trust: 'restricted', bounds: integer(100, 60_000, 'prompts.renderTimeoutMs') },
  'trace.server': { trust: 'anywhere' },
  'rag.autoIndex': { trust: 'anywhere' },
  'rag.include': { trust: 'anywhere' },
  'rag.exclude': { trust: 'anywhere' },
  'rag.includeCode': { trust: 'anywhere' },
  'rag.respectGitignore': { trust: 'anywhere' },
  'rag.maxFileSizeKB': { trust: 'restricted', bounds: integer(1, 51_200, 'rag.maxFileSizeKB') },
  'rag.chunkTokens': { trust: 'restricted', bounds: integer(16, 8192, 'rag.chunkTokens') },
  'rag.chunkOverlap': { trust: 'restricted', bounds: integer(0, 4096, 'rag.chunkOverlap') },
  'jobs.pythonPath': { trust: 'restricted' },
  'jobs.maxConcurrentJobs': { trust: 'restricted', bounds: integer(1, 8, 'jobs.maxConcurrentJobs') },
  'jobs.stopTimeoutSeconds': { trust: 'restricted', bounds: integer(5, 3600, 'jobs.stopTimeoutSeconds') },
} as const satisfies Record<keyof typeof settingDefaults, SettingRule>;

export type SettingKey = keyof typeof settingRules;

/**
 * The value that counts, given who may set the setting and whether the workspace is trusted. Precedence among the
 * levels allowed is VS Code's: folder over workspace over user over default.
 */
export function effectiveSetting(inspected: InspectedSetting | undefined, trust: SettingTrust, workspaceTrusted: boolean): { value: unknown; source: SettingSource } {
  const levels: [SettingSource, unknown][] = [];
  if (trust === 'anywhere' || (trust === 'restricted' && workspaceTrusted)) {
    levels.push(['workspaceFolder', inspected?.workspaceFolderValue], ['workspace', inspected?.workspaceValue]);
  }
  levels.push(['user', inspected?.globalValue], ['default', inspected?.defaultValue]);
  for (const [source, value] of levels) if (value !== undefined) return { value, source };
  return { value: undefined, source: 'default' };
}

/** A number setting within its bounds: not a finite number → the fallback; outside the range → the nearest end. */
export function boundedNumber(value: unknown, bounds: NumberBounds): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) return bounds.fallback;
  const clamped = clamp(value, bounds.min, bounds.max);
  return bounds.integer ? Math.floor(clamped) : clamped;
}

/** `boundedNumber` with the bounds of a setting in `settingRules`. */
export function boundedSetting(key: { [K in SettingKey]: (typeof settingRules)[K] extends { bounds: NumberBounds } ? K : never }[SettingKey], value: unknown): number {
  return boundedNumber(value, settingRules[key].bounds);
}

/**
 * A path from a setting, made absolute without depending on any process's working folder. `~` is the home folder.
 * A relative path counts only from a trusted workspace's own settings (resolved against `workspaceFolder`); in the
 * user's settings it would land in whatever repository is open, so it is ignored (`undefined`), as is any non-string.
 */
export function settingPath(value: unknown, source: SettingSource, workspaceFolder: string | undefined, home: string = homedir()): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  if (!trimmed || trimmed.includes('\0')) return trimmed ? undefined : '';
  if (trimmed === '~' || trimmed.startsWith('~/') || trimmed.startsWith('~\\')) return normalize(join(home, trimmed.slice(1)));
  if (isAbsolute(trimmed)) return normalize(trimmed);
  if ((source === 'workspace' || source === 'workspaceFolder') && workspaceFolder) return resolve(workspaceFolder, trimmed);
  return undefined;
}

/** Hugging Face repository ids (`owner/name`, optionally `@revision`); never a path to anything on disk. */
export function isHubModelId(value: string): boolean {
  return (
    /^[\w-][\w.-]*\/[\w-][\w.-]*(@[\w./-]+)?$/.test(value) &&
    !value
      .split('@')[0]!
      .split('/')
      .some((part) => part === '..' || part === '.')
  );
}

/**
 * A model setting: a Hub id stays an id (looked up in the Hugging Face cache; write `./owner/name` for a folder of
 * that shape), anything else is a folder, made absolute by `settingPath`'s rules. `undefined`: not usable.
 */
export function settingModel(value: unknown, source: SettingSource, workspaceFolder: string | undefined, home: string = homedir()): string | undefined {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  if (isHubModelId(trimmed)) return trimmed;
  return settingPath(trimmed, source, workspaceFolder, home);
}
