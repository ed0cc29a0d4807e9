import { NotificationType, RequestType } from 'vscode-languageserver-protocol';
import { type PreviewPromptResult } from './promptPreviewProtocol';

/**
 * What the extension host and the language server tell each other beyond standard LSP. Declared once, used by both.
 * The message types come from `vscode-languageserver-protocol`, the JSON-RPC the language client and server are
 * built on (its `RequestType` is the class their connections are typed with).
 */

/**
 * Settings the server reads; sent as initializationOptions and on every change of the `chatwright` section.
 * One object per feature, mirroring the `chatwright.<feature>.*` settings in package.json.
 */
export interface ServerSettings {
  datasets: {
    /** Report problems in JSON Lines files. */
    diagnostics: boolean;
    /** Glob (relative to the workspace folder, or a file name pattern) → the format every row must be in. */
    formats: Record<string, string>;
    /** Warn for rows over this many tokens; 0 turns token counting for diagnostics off. */
    maxTokens: number;
    /** A tokenizer.json (or a folder holding one) for token counts; empty for the default (Qwen3). */
    tokenizerPath: string;
    /** Warn when a training file has fewer rows than this; 0 turns the check off. */
    minRows: number;
  };
  prompts: {
    /** Report problems in `.prompty` templates. */
    diagnostics: boolean;
    /** The model whose chat template and tokenizer the preview uses when a template names none (Hub id or folder). */
    previewModel: string;
    /** A render that runs longer than this is stopped (runaway loops). */
    renderTimeoutMs: number;
  };
}

/** Languages the server handles, by VS Code language id. */
export const serverLanguageIds = ['jsonl', 'prompty'] as const;

/** A document the server handles: a language, narrowed to file names matching `pattern` when given. */
export interface ServerDocumentFilter {
  language: string;
  pattern?: string;
}

/** The extension whose YAML language service serves the job schema registered in package.json's `yamlValidation`. */
export const redHatYamlExtensionId = 'redhat.vscode-yaml';

/**
 * Every document the server handles. Job files and comparison files are VS Code's own `yaml` and `json` languages
 * narrowed to `*.job.{yaml,yml,json}` and `*.compare.{yaml,yml,json}`. Their YAML files are left to Red Hat's YAML
 * extension where it is installed: it serves them from the registered schemas, and two services on one document would
 * report every problem twice; Chatwright's own checks beyond the schema (files, cross-field rules) still run before a
 * job starts (preflight) and before a comparison runs (`parseComparison`).
 */
export function serverDocumentFilters(options: { redHatYamlInstalled: boolean }): ServerDocumentFilter[] {
  return [
    ...serverLanguageIds.map((language) => ({ language })),
    ...(options.redHatYamlInstalled ? [] : [{ language: 'yaml', pattern: '**/*.job.{yaml,yml}' }]),
    { language: 'json', pattern: '**/*.job.json' },
    ...(options.redHatYamlInstalled ? [] : [{ language: 'yaml', pattern: '**/*.compare.{yaml,yml}' }]),
    { language: 'json', pattern: '**/*.compare.json' },
  ];
}

/** The `source` of every diagnostic the server publishes. */
export const diagnosticSource = 'chatwright';

/**
 * The extension's settings push (client → server notification): LSP's `workspace/didChangeConfiguration`, carrying
 * the `chatwright` section as the extension's Config decided it (never the raw section). Other clients may send any
 * shape under this method, so the server checks the section again.
 */
export const didChangeServerSettingsNotification = new NotificationType<{ settings: { chatwright: ServerSettings } }>('workspace/didChangeConfiguration');

/**
 * `chatwright/previewPrompt` (client → server request): renders a `.prompty` document as the model will see it.
 * Answered by the prompts service; a render that fails, or a template that is not open, is answered with `error`.
 */
export const previewPromptRequest = new RequestType<PreviewPromptParams, PreviewPromptResult, void>('chatwright/previewPrompt');

export interface PreviewPromptParams {
  uri: string;
  /** Values typed in the preview, overriding the template's sample. */
  inputs?: Record<string, unknown>;
  /** A model id or folder that overrides the template's model. */
  model?: string;
  /** The model used when the template names none that is available locally (else `prompts.previewModel`). */
  fallbackModel?: string;
  /** The embedding model (Hub id or folder) for few-shot `strategy: similar`; BM25 without one. */
  embeddingModel?: string;
}
