import { isAbsolute } from 'node:path';
import { type CachedModel } from '../hub/cacheScan';
import { roleFromFiles } from '../hub/modelFormats';
import { isHubModelId } from '../settings/settingTrust';

/** One entry of the prompt preview's model list. */
export interface PreviewModelChoice {
  /** Hub id or absolute model folder; undefined for "automatic" (the template's own model). */
  id: string | undefined;
  label: string;
  description: string;
  /** Whether the model's files can give the exact prompt string (a chat template and a tokenizer). */
  exactPrompt: boolean;
}

/** Files a model needs for the preview's prompt string: a chat template and the tokenizer. */
function canRenderPrompt(paths: readonly string[]): boolean {
  const hasTemplate = ['chat_template.jinja', 'chat_template.json', 'tokenizer_config.json'].some((file) => paths.includes(file));
  return hasTemplate && paths.includes('tokenizer.json');
}

/**
 * What the preview's model picker offers: "automatic" (the template's model, else the workspace's fallback), then the
 * chat models in the Hugging Face cache (the Models view's list, without embedding models), the current choice first.
 * A chosen model that is no longer cached (or a folder) stays listed so the user sees what is in effect.
 */
export function previewModelChoices(cached: readonly CachedModel[], context: { chosen?: string; fallback?: string }): PreviewModelChoice[] {
  const automatic: PreviewModelChoice = {
    id: undefined,
    label: 'Automatic',
    description: context.fallback ? `the template's model.id when it is on disk, else ${context.fallback}` : "the template's model.id",
    exactPrompt: true,
  };
  const models: PreviewModelChoice[] = [];
  for (const model of cached) {
    const paths = model.revisions[0]?.files.filter((file) => file.present).map((file) => file.path) ?? [];
    if (roleFromFiles(paths) === 'embedding' && model.repoId !== context.chosen) continue;
    const exactPrompt = canRenderPrompt(paths);
    models.push({ id: model.repoId, label: model.repoId, description: exactPrompt ? 'in the cache' : 'in the cache · no chat template or tokenizer: messages only', exactPrompt });
  }
  models.sort((a, b) => Number(b.exactPrompt) - Number(a.exactPrompt) || a.label.localeCompare(b.label));
  if (context.chosen && !models.some((model) => model.id === context.chosen)) {
    models.unshift({ id: context.chosen, label: context.chosen, description: isAbsolute(context.chosen) ? 'model folder' : 'not in the cache', exactPrompt: isAbsolute(context.chosen) });
  }
  const chosenIndex = models.findIndex((model) => model.id === context.chosen);
  if (chosenIndex > 0) models.unshift(models.splice(chosenIndex, 1)[0]!);
  return [automatic, ...models];
}

/**
 * A remembered preview model read back from storage: a Hub id (`org/name`, optionally `@revision`) or an absolute
 * folder; anything else (a damaged or foreign value) is treated as no choice.
 */
export function validPreviewModel(value: unknown): string | undefined {
  if (typeof value !== 'string' || value.length === 0 || value.length > 4096 || value.includes('\0')) return undefined;
  return isHubModelId(value) || isAbsolute(value) ? value : undefined;
}
