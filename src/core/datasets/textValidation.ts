import { type DatasetFormat } from './formats';
import { type TokenCounter } from './tokenCount';
import { defaultTokenCounterSync, loadTokenCounter } from './tokenizer';
import { validateDataset, type DatasetValidation } from './validateDataset';

export interface TextValidationOptions {
  format?: DatasetFormat;
  maxTokens?: number;
  minRows?: number;
  /** Count tokens: undefined for no, null for the default tokenizer, or the path of a tokenizer.json. */
  tokenizer?: string | null;
}

/**
 * Validates a dataset held in memory (an editor's unsaved text) whole, with token counts from the named tokenizer,
 * as the dataset report shows it; `stats.bytes` is the text's UTF-8 size.
 */
export async function validateTextWithTokens(text: string, options: TextValidationOptions): Promise<DatasetValidation> {
  const { tokenizer, ...checks } = options;
  // A report without token counts beats no report: a tokenizer that fails to load only drops the counts.
  const tokenCounter = tokenizer === undefined ? undefined : await loadTokenCounter(tokenizer ?? undefined).catch(() => undefined);
  const contextCounter = (): TokenCounter | undefined => tokenCounter ?? defaultTokenCounterSync();
  const validation = validateDataset(text, { ...checks, ...(tokenCounter ? { tokenCounter } : {}), ...(checks.maxTokens === undefined ? { contextCounter } : {}) });
  validation.stats.bytes = Buffer.byteLength(text);
  return validation;
}
