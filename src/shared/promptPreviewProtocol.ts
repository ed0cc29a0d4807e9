/**
 * The typed RPC between the extension host and the prompt preview webview ("Chatwright: Preview Prompt"):
 * vscode-jsonrpc notifications over the webview's postMessage (see src/host/webviewRpc.ts). The host validates
 * every notification's params; the webview renders all template text inert (textContent only).
 */
import { NotificationType, NotificationType0 } from 'vscode-jsonrpc';

export type PreviewToWebview =
  | { type: 'update'; fileName: string; result: PreviewPromptResult; inputOverrides: Record<string, string>; previewModel: PreviewModelState }
  | { type: 'rendering' }
  | { type: 'closedDocument'; fileName: string };

/** The model control's state: the model chosen in the preview, or none (automatic: the template's model). */
export interface PreviewModelState {
  chosen?: string;
}

/** Values typed in the inputs form (raw text: JSON is parsed by the host when it parses). Empty: use the sample. */
export interface PreviewInputs {
  inputs: Record<string, string>;
}

/** What the preview page sends; it asks for nothing back. */
export const PreviewNotifications = {
  /** The page loaded and wants the current state. */
  ready: new NotificationType0('promptPreview/ready'),
  setInputs: new NotificationType<PreviewInputs>('promptPreview/setInputs'),
  copyPrompt: new NotificationType0('promptPreview/copyPrompt'),
  /** Open the model picker (the choice is remembered per workspace). */
  choosePreviewModel: new NotificationType0('promptPreview/choosePreviewModel'),
  /** Open the chat with this template selected. */
  tryInChat: new NotificationType0('promptPreview/tryInChat'),
} as const;

/** What the host shows in the page. */
export const previewUpdate = new NotificationType<PreviewToWebview>('promptPreview/update');

/** Validates the inputs form's values from the page (untrusted): text only. */
export function validPreviewInputs(params: unknown): PreviewInputs | undefined {
  if (!params || typeof params !== 'object') return undefined;
  const inputs = (params as { inputs?: unknown }).inputs;
  if (!inputs || typeof inputs !== 'object' || Array.isArray(inputs)) return undefined;
  return Object.values(inputs as Record<string, unknown>).every((entry) => typeof entry === 'string') ? { inputs: inputs as Record<string, string> } : undefined;
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
