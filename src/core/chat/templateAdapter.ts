import { type FewShotExample } from './chatTypes';
import { type ChatRole, type ChatTurn } from '../text/chatTurn';
import { type RenderedTemplate } from './promptBuilder';
import { type RenderedPrompt, type RenderRequest } from '../prompts/renderPrompt';

/** Renders a template: the render sandbox's worker (the chat's and the preview's, with their time and memory limits). */
export type PromptRenderer = (request: RenderRequest, signal?: AbortSignal) => Promise<RenderedPrompt>;

/**
 * Renders a `.prompty` template for the chat with the prompt-template feature's own renderer (src/core/prompts), so
 * the chat sends exactly what the template preview shows. The template's few-shot examples come back inserted as
 * messages; they are separated out again here so "what the model saw" lists them and the chat's `k` applies.
 * `render` is the render sandbox, so a runaway template never blocks the caller's thread.
 */
export async function renderTemplateForChat(
  input: {
    text: string;
    templatePath: string;
    /** How it is named in the UI (workspace-relative). */
    label: string;
    workspaceRoots: string[];
    inputs: Record<string, unknown>;
    examplesK: number;
    signal?: AbortSignal;
  },
  render: PromptRenderer,
): Promise<RenderedTemplate> {
  // model '' skips the preview's last step (the model's chat template): the backend applies its own model's.
  const rendered = await render({ text: input.text, templatePath: input.templatePath, workspaceRoots: input.workspaceRoots, inputs: input.inputs, model: '' }, input.signal);
  const messages: ChatTurn<ChatRole>[] = [];
  const examples: FewShotExample[] = [];
  let current: FewShotExample | undefined;
  for (const message of rendered.messages) {
    if (message.source !== 'example') {
      current = undefined;
      const role = message.role === 'developer' ? 'system' : message.role;
      if (role === 'system' || role === 'user' || role === 'assistant') messages.push({ role, content: message.content });
      continue;
    }
    // A new example starts at a user turn that follows the previous example's answer.
    if (!current || (message.role === 'user' && current.messages.some((m) => m.role === 'assistant'))) {
      current = { source: `${input.label} (examples: ${rendered.examples?.file ?? 'file'})`, messages: [] };
      examples.push(current);
    }
    current.messages.push({ role: message.role, content: message.content });
  }
  return { messages, examples: examples.slice(0, Math.max(0, input.examplesK)) };
}
