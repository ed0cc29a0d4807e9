/**
 * Text for the Models view's rows, apart from VS Code. Rows are narrow: the part a person scans for comes first and
 * whatever may be cut off goes after it, with the whole text in the tooltip.
 */

/**
 * The name a person recognises in a model reference: "all-MiniLM-L6-v2" for "sentence-transformers/all-MiniLM-L6-v2@main",
 * the last folder for a local path (POSIX or Windows). Falls back to the reference itself when nothing shorter is left.
 */
export function shortModelName(reference: string): string {
  const trimmed = reference.trim().replace(/[\\/]+$/, '');
  const withoutRevision = /^[\w.-]+\/[\w.-]+@/.test(trimmed) ? trimmed.slice(0, trimmed.indexOf('@')) : trimmed;
  const last = withoutRevision.split(/[\\/]/).pop();
  return last && last.length > 0 ? last : reference;
}

/**
 * Splits a message such as "No models in the cache yet: search the Hub to download one." into what the row shows
 * first (before the first ": ") and the rest, so the gist stays readable when the row is cut off.
 */
export function splitMessage(text: string): { label: string; detail?: string } {
  const colon = text.indexOf(': ');
  if (colon <= 0) return { label: text };
  const detail = text.slice(colon + 2).trim();
  return detail ? { label: text.slice(0, colon), detail } : { label: text.slice(0, colon) };
}

export function countOf(count: number, word: string): string {
  return `${count.toLocaleString('en-US')} ${word}${count === 1 ? '' : 's'}`;
}

/**
 * The codicon for each model kind, shared by the Models view and the status bar so both show the same mark.
 * Embeddings are points in a space, hence the scatter plot; `symbol-array` drew as "[ ]" and read as an empty box.
 */
export const modelKindIcon = { chat: 'comment-discussion', embedding: 'graph-scatter' } as const;

/** The status bar's text for the workspace's models, e.g. "$(comment-discussion) tiny-qwen3 · $(graph-scatter) none". */
export function modelsStatusText(chatModel: string | undefined, embeddingModel: string | undefined): string {
  if (!chatModel && !embeddingModel) return `$(${modelKindIcon.chat}) Choose models`;
  const name = (reference: string | undefined): string => (reference ? shortModelName(reference) : 'none');
  return `$(${modelKindIcon.chat}) ${name(chatModel)} · $(${modelKindIcon.embedding}) ${name(embeddingModel)}`;
}
