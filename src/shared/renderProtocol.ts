/**
 * Messages between a render sandbox (`src/core/prompts/renderSandbox.ts`: the language server's preview, the chat,
 * the CLI's `render`) and its worker thread (entry `src/worker/renderWorker.ts`). One request per render; the worker
 * reports each phase it enters to the request's progress token, so the sandbox can hold the template to its time
 * limit and the model loading to its own. Errors keep their class (TemplateBudgetError, UnsafeFileError,
 * ChatTemplateError) across the boundary.
 */
import { ProgressType, RequestType, type ProgressToken } from 'vscode-jsonrpc';
import type { TemplateBudgets } from '../core/templates/guardedTemplates';
import type { RenderedPrompt, RenderRequest } from '../core/prompts/renderPrompt';

/** 'template': the template's render begins; 'model': loading the model's tokenizer, chat template or embedder begins. */
export type RenderPhase = 'template' | 'model';

export const renderPhaseProgress = new ProgressType<RenderPhase>();

export interface RenderParams {
  request: RenderRequest;
  /** The templates' budgets inside the worker; `timeMs` is the sandbox's time limit. */
  budgets: Partial<TemplateBudgets>;
  phaseToken: ProgressToken;
}

export const renderRequest = new RequestType<RenderParams, RenderedPrompt, void>('render/prompt');
