import { GuardedJinjaTemplate, type TemplateBudgets } from '../templates/guardedTemplates';
import { ModelError, type ModelFolder } from './modelFolder';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant' | 'tool' | (string & {});
  content: string;
}

function tokenText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as { content?: unknown }).content === 'string') return (value as { content: string }).content;
  return undefined;
}

/** The chat template of a model: tokenizer_config.json's `chat_template` (a string or named list) or chat_template.jinja. */
export function chatTemplateSource(model: ModelFolder): string | undefined {
  const template = model.tokenizerConfig.chat_template;
  if (typeof template === 'string') return template;
  if (Array.isArray(template)) {
    const named = template as { name?: string; template?: string }[];
    return (named.find((entry) => entry.name === 'default') ?? named[0])?.template;
  }
  return undefined;
}

/**
 * Renders a conversation into the prompt text the model was trained on, ending with the assistant's turn opened.
 * Models without a template (base models) get the messages' text joined, with no turn markers.
 */
export function renderChatPrompt(model: ModelFolder, messages: readonly ChatMessage[], extra: Record<string, unknown> = {}, budgets?: Partial<TemplateBudgets>): { text: string; templated: boolean } {
  if (messages.length === 0) throw new RangeError('a chat needs at least one message');
  const source = chatTemplateSource(model);
  if (!source) return { text: messages.map((message) => message.content).join('\n\n'), templated: false };
  let template: GuardedJinjaTemplate;
  try {
    template = new GuardedJinjaTemplate(source, { chatTemplate: true });
  } catch (error) {
    throw new ModelError(`${model.dir}: the chat template cannot be parsed: ${error instanceof Error ? error.message : String(error)}`, `${model.dir}/tokenizer_config.json`);
  }
  const specials: Record<string, string> = {};
  for (const key of ['bos_token', 'eos_token', 'pad_token', 'unk_token']) {
    const text = tokenText(model.tokenizerConfig[key]);
    if (text !== undefined) specials[key] = text;
  }
  try {
    return { text: template.render({ ...specials, messages: messages.map((m) => ({ role: m.role, content: m.content })), add_generation_prompt: true, ...extra }, budgets), templated: true };
  } catch (error) {
    throw new ModelError(`${model.dir}: the chat template failed on this conversation: ${error instanceof Error ? error.message : String(error)}`, `${model.dir}/tokenizer_config.json`);
  }
}
