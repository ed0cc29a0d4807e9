/**
 * Messages between the extension host and the prompt preview webview ("Chatwright: Preview Prompt"). The host
 * validates every message it receives; the webview renders all template text inert (textContent only).
 */

export type PreviewToWebview =
  | { type: 'update'; fileName: string; result: PreviewPromptResult; inputOverrides: Record<string, string>; previewModel: PreviewModelState }
  | { type: 'rendering' }
  | { type: 'closedDocument'; fileName: string };

export type PreviewFromWebview =
  /** The page loaded and wants the current state. */
  | { type: 'ready' }
  /** Values typed in the inputs form (raw text: JSON is parsed by the host when it parses). Empty: use the sample. */
  | { type: 'setInputs'; inputs: Record<string, string> }
  | { type: 'copyPrompt' }
  /** Open the model picker (the choice is remembered per workspace). */
  | { type: 'choosePreviewModel' }
  /** Open the chat with this template selected. */
  | { type: 'tryInChat' };

/** The model control's state: the model chosen in the preview, or none (automatic: the template's model). */
export interface PreviewModelState {
  chosen?: string;
}

const simpleRequests: ReadonlySet<unknown> = new Set(['ready', 'copyPrompt', 'choosePreviewModel', 'tryInChat']);

export function isPreviewFromWebview(value: unknown): value is PreviewFromWebview {
  if (!value || typeof value !== 'object') return false;
  const message = value as { type?: unknown; inputs?: unknown };
  if (simpleRequests.has(message.type)) return true;
  if (message.type !== 'setInputs' || !message.inputs || typeof message.inputs !== 'object') return false;
  return Object.values(message.inputs as Record<string, unknown>).every((entry) => typeof entry === 'string');
}

/** The answer to `chatwright/previewPrompt`: the core's RenderedPrompt, or `error` with a message. */
export interface PreviewPromptMessage {
  role: string;
  content: string;
  source: 'template' | 'example';
  tokens?: number;
}

export interface PreviewPromptResult {
  uri: string;
  version: number;
  /** Milliseconds the render took in the server. */
  elapsedMs: number;
  error?: string;
  rendered?: {
    format: string;
    api: string;
    messages: PreviewPromptMessage[];
    inputs: { name: string; value: unknown; source: 'given' | 'sample' | 'missing' }[];
    examples?: { file: string; method: string; count: number; problems: string[] };
    model?: { id: string; folder?: string; chatTemplateSource?: string; contextWindow?: number; notes: string[] };
    prompt?: string;
    totalTokens?: number;
    modelHint?: string;
    warnings: string[];
  };
}
