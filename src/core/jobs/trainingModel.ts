import { join } from 'node:path';
import { type Tokenizer } from '@huggingface/tokenizers';
import { type ChatTurn } from '../text/chatTurn';
import { readChatTemplate, renderChatTemplate, specialTokensOf, type ModelChatTemplate } from '../templates/chatTemplate';
import { readModelJson, type ModelFolder } from '../inference/modelFolder';
import { createTokenizer } from '../inference/modelTokenizer';

/**
 * A base model folder as training sees it (config.json, tokenizer files, safetensors weights, no ONNX), in the shape
 * of the inference engine's `ModelFolder`, so the chat template is rendered by the same code the engine uses.
 */
export interface TrainingModel {
  folder: ModelFolder;
  tokenizer: Tokenizer;
  /** Special tokens as transformers' `all_special_tokens` lists them, plus added tokens marked special. */
  specialTokens: string[];
  eosToken?: string;
  eosId?: number;
  padToken?: string;
  /** Whether a chat template was found (or given by the job's `data.chat_template`). */
  hasChatTemplate: boolean;
}

const trainingFolderNeeds = 'a training base model needs config.json, tokenizer.json and tokenizer_config.json';

function tokenText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'object' && value !== null && typeof (value as { content?: unknown }).content === 'string') return (value as { content: string }).content;
  return undefined;
}

/**
 * Opens a local base model folder for the loss-mask preview and preflight. `chatTemplate` (the job's
 * `data.chat_template`) replaces the tokenizer's, as the trainer does. Throws a ModelError naming the file.
 */
export function openTrainingModel(dir: string, chatTemplate?: string | null): TrainingModel {
  const config = readModelJson(join(dir, 'config.json'), 'modelConfig', false) ?? {};
  const tokenizerJson = readModelJson(join(dir, 'tokenizer.json'), 'tokenizer', true, trainingFolderNeeds)!;
  const tokenizerConfig = readModelJson(join(dir, 'tokenizer_config.json'), 'tokenizerConfig', false) ?? {};
  // The job's `data.chat_template` replaces the model's, as the trainer does; otherwise the one loader's order.
  const template: ModelChatTemplate | undefined = chatTemplate
    ? { folder: dir, fileName: 'tokenizer_config.json', file: join(dir, 'tokenizer_config.json'), templates: { default: chatTemplate }, specialTokens: specialTokensOf(tokenizerConfig) }
    : readChatTemplate(dir, tokenizerConfig).template;
  const folder: ModelFolder = { id: dir, dir, modelKey: dir, config, tokenizerJson, tokenizerConfig, generationConfig: {}, onnxFiles: {}, ...(template ? { chatTemplate: template } : {}) };
  const tokenizer = createTokenizer(folder);
  const specials = new Set<string>();
  for (const key of ['bos_token', 'eos_token', 'unk_token', 'pad_token']) {
    const text = tokenText(tokenizerConfig[key]);
    if (text) specials.add(text);
  }
  const additional = tokenizerConfig.additional_special_tokens;
  if (Array.isArray(additional)) for (const entry of additional) if (tokenText(entry)) specials.add(tokenText(entry)!);
  const added = (tokenizerJson as { added_tokens?: unknown }).added_tokens;
  if (Array.isArray(added)) for (const entry of added as { content?: unknown; special?: unknown }[]) if (entry.special === true && typeof entry.content === 'string') specials.add(entry.content);
  const eosToken = tokenText(tokenizerConfig.eos_token);
  const eosId = eosToken === undefined ? undefined : tokenizer.token_to_id(eosToken);
  const padToken = tokenText(tokenizerConfig.pad_token);
  return {
    folder,
    tokenizer,
    specialTokens: [...specials],
    ...(eosToken !== undefined ? { eosToken } : {}),
    ...(eosId !== undefined ? { eosId } : {}),
    ...(padToken !== undefined ? { padToken } : {}),
    hasChatTemplate: template !== undefined,
  };
}

/**
 * The one place the jobs code renders a chat template: the engine's renderer (guarded: time, memory and loop limits),
 * as transformers' `apply_chat_template(tokenize=False)` does. Undefined when the model has no template.
 */
export function renderChat(model: TrainingModel, messages: readonly ChatTurn[], addGenerationPrompt: boolean): string | undefined {
  const template = model.folder.chatTemplate;
  return template ? renderChatTemplate(template, messages, { addGenerationPrompt }) : undefined;
}
