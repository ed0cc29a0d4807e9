/**
 * The default of every `chatwright.*` setting, by key without the `chatwright.` prefix: the one place they are
 * declared. The extension's `Config`, the language server and the bounds in `settingRules` (which must name exactly
 * these keys) read them from here, and a unit test holds each `default` in package.json (which VS Code shows in the
 * Settings editor) to the same value.
 */
export const settingDefaults = {
  'datasets.diagnostics': true,
  'datasets.formats': {},
  'datasets.maxTokens': 0,
  'datasets.tokenizerPath': '',
  'datasets.minRows': 10,
  'models.hubEndpoint': '',
  'models.downloadConcurrency': 4,
  'models.offline': false,
  'chat.endpoints': [],
  'engine.executionProvider': 'cpu',
  'engine.threads': 0,
  'engine.idleUnloadMinutes': 10,
  'engine.spinWhileGenerating': false,
  'prompts.diagnostics': true,
  'prompts.previewModel': '',
  'prompts.renderTimeoutMs': 2000,
  'trace.server': 'off',
  'rag.autoIndex': true,
  'rag.include': [],
  'rag.exclude': [],
  'rag.includeCode': false,
  'rag.respectGitignore': true,
  'rag.maxFileSizeKB': 2048,
  'rag.chunkTokens': 256,
  'rag.chunkOverlap': 32,
  'jobs.pythonPath': '',
  'jobs.maxConcurrentJobs': 1,
  'jobs.stopTimeoutSeconds': 120,
} as const;
