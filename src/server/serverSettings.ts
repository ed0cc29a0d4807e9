import { isAbsolute } from 'node:path';
import { settingDefaults } from '../core/settings/settingDefaults';
import { boundedSetting, isHubModelId } from '../core/settings/settingTrust';
import { type ServerSettings } from '../shared/languageServerProtocol';

/** What the server uses until a client sends settings, and for every field a client leaves out. */
export const defaultServerSettings: ServerSettings = {
  datasets: {
    diagnostics: settingDefaults['datasets.diagnostics'],
    formats: { ...settingDefaults['datasets.formats'] },
    maxTokens: settingDefaults['datasets.maxTokens'],
    tokenizerPath: settingDefaults['datasets.tokenizerPath'],
    minRows: settingDefaults['datasets.minRows'],
  },
  prompts: {
    diagnostics: settingDefaults['prompts.diagnostics'],
    previewModel: settingDefaults['prompts.previewModel'],
    renderTimeoutMs: settingDefaults['prompts.renderTimeoutMs'],
  },
};

/**
 * The settings a client sent (initializationOptions or `workspace/didChangeConfiguration`), checked field by field.
 * The extension sends only what its `Config` decided (trusted values, bounded); other clients may send anything, so
 * every field is checked again here: unknown types fall back to the default, numbers are clamped to their bounds,
 * and a path must be absolute (the server's working folder is no place to resolve a setting against).
 */
export function serverSettingsFrom(value: unknown): ServerSettings {
  const given = record(value);
  const datasets = record(given['datasets']);
  const prompts = record(given['prompts']);
  const defaults = defaultServerSettings;
  const formats = record(datasets['formats']);
  const tokenizerPath = datasets['tokenizerPath'];
  const previewModel = prompts['previewModel'];
  return {
    datasets: {
      diagnostics: typeof datasets['diagnostics'] === 'boolean' ? datasets['diagnostics'] : defaults.datasets.diagnostics,
      formats: Object.fromEntries(Object.entries(formats).filter((entry): entry is [string, string] => typeof entry[1] === 'string')),
      maxTokens: 'maxTokens' in datasets ? boundedSetting('datasets.maxTokens', datasets['maxTokens']) : defaults.datasets.maxTokens,
      tokenizerPath: typeof tokenizerPath === 'string' && isAbsolute(tokenizerPath) && !tokenizerPath.includes('\0') ? tokenizerPath : defaults.datasets.tokenizerPath,
      minRows: 'minRows' in datasets ? boundedSetting('datasets.minRows', datasets['minRows']) : defaults.datasets.minRows,
    },
    prompts: {
      diagnostics: typeof prompts['diagnostics'] === 'boolean' ? prompts['diagnostics'] : defaults.prompts.diagnostics,
      previewModel: typeof previewModel === 'string' && (isHubModelId(previewModel) || (isAbsolute(previewModel) && !previewModel.includes('\0'))) ? previewModel : defaults.prompts.previewModel,
      renderTimeoutMs: 'renderTimeoutMs' in prompts ? boundedSetting('prompts.renderTimeoutMs', prompts['renderTimeoutMs']) : defaults.prompts.renderTimeoutMs,
    },
  };
}

function record(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
