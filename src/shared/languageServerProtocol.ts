/**
 * What the extension host and the language server tell each other beyond standard LSP. Declared once, used by both.
 */

/**
 * Settings the server reads; sent as initializationOptions and on every change of the `chatwright` section.
 * One object per feature, mirroring the `chatwright.<feature>.*` settings in package.json.
 */
export interface ServerSettings {
  datasets: {
    /** Report problems in JSON Lines files. */
    diagnostics: boolean;
  };
}

export const defaultServerSettings: ServerSettings = {
  datasets: { diagnostics: true },
};

/** Languages the server handles, by VS Code language id. */
export const serverLanguageIds = ['jsonl', 'prompty'] as const;

/** The `source` of every diagnostic the server publishes. */
export const diagnosticSource = 'chatwright';
