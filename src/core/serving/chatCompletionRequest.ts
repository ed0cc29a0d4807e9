/**
 * Reads a `POST /v1/chat/completions` body into a `ServedChatRequest`, or fails with a 400 naming the field
 * (`messages[2].content`, `temperature` …). Harmless fields this server has no use for (`user`, `metadata`, `store`,
 * `parallel_tool_calls` …) are ignored as OpenAI ignores unknown ones; fields that would change what the client gets
 * back in a way this server cannot honour (tools, structured output, log probabilities, several choices, audio) are
 * refused by name rather than silently dropped, so a client never trusts an answer that ignored its constraint.
 */
import { type ChatTurn } from '../text/chatTurn';
import { describeJson, invalidParam, isJsonObject, type JsonObject, optionalBoolean, optionalInteger, optionalNumber, requireBodyObject, requiredString, unsupportedParam } from './requestFields';
import { type ServedChatRequest } from './servedModels';

export interface ChatCompletionRequest {
  request: ServedChatRequest;
  stream: boolean;
  /** `stream_options.include_usage`: a last chunk with empty `choices` and the token counts. */
  includeUsage: boolean;
}

/** OpenAI's own limit on `stop`. */
export const maxStopSequences = 4;

/** Roles a chat template understands; `developer` is OpenAI's newer name for `system`. */
const roleNames: Record<string, ChatTurn['role']> = { system: 'system', developer: 'system', user: 'user', assistant: 'assistant' };

export function parseChatCompletionRequest(body: unknown, limits: { maxTokensLimit: number }): ChatCompletionRequest {
  const fields = requireBodyObject(body);
  refuseUnsupported(fields);
  const model = requiredString(fields, 'model');
  const messages = parseMessages(fields['messages']);

  const maxCompletionTokens = optionalInteger(fields, 'max_completion_tokens', { min: 1, max: Number.MAX_SAFE_INTEGER });
  const maxTokensField = optionalInteger(fields, 'max_tokens', { min: 1, max: Number.MAX_SAFE_INTEGER });
  // `max_completion_tokens` replaced `max_tokens`; when a client sends both, the newer one is what it means.
  const [maxTokensParam, maxTokens] = maxCompletionTokens !== undefined ? ['max_completion_tokens', maxCompletionTokens] : ['max_tokens', maxTokensField];
  if (maxTokens !== undefined && maxTokens > limits.maxTokensLimit) {
    throw invalidParam(maxTokensParam, `'${maxTokensParam}' is ${maxTokens}, more than this server allows (${limits.maxTokensLimit}).`, 'max_tokens_too_large');
  }
  const temperature = optionalNumber(fields, 'temperature', { min: 0, max: 2 });
  const topP = optionalNumber(fields, 'top_p', { min: 0, max: 1, minExclusive: true });
  const seed = optionalInteger(fields, 'seed', { min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER });
  const stop = parseStop(fields['stop']);
  const n = optionalInteger(fields, 'n', { min: 1, max: Number.MAX_SAFE_INTEGER });
  if (n !== undefined && n !== 1) throw unsupportedParam('n', 'it generates one choice per request; send n = 1 or leave it out');

  const stream = optionalBoolean(fields, 'stream') ?? false;
  const includeUsage = parseStreamOptions(fields['stream_options'], stream);

  const request: ServedChatRequest = {
    model,
    messages,
    ...(maxTokens !== undefined ? { maxTokens } : {}),
    ...(temperature !== undefined ? { temperature } : {}),
    ...(topP !== undefined ? { topP } : {}),
    ...(seed !== undefined ? { seed } : {}),
    ...(stop !== undefined ? { stop } : {}),
  };
  return { request, stream, includeUsage };
}

function parseMessages(value: unknown): ChatTurn[] {
  if (value === undefined || value === null) throw invalidParam('messages', "Missing required parameter: 'messages'.", 'missing_required_parameter');
  if (!Array.isArray(value)) throw invalidParam('messages', `'messages' must be an array, not ${describeJson(value)}.`, 'invalid_type');
  if (value.length === 0) throw invalidParam('messages', "'messages' must hold at least one message.", 'empty_array');
  return value.map((message: unknown, index) => parseMessage(message, `messages[${index}]`));
}

function parseMessage(message: unknown, at: string): ChatTurn {
  if (!isJsonObject(message)) throw invalidParam(at, `'${at}' must be an object with 'role' and 'content', not ${describeJson(message)}.`, 'invalid_type');
  const roleValue = message['role'];
  if (typeof roleValue !== 'string') throw invalidParam(`${at}.role`, `'${at}.role' must be a string, not ${describeJson(roleValue)}.`, 'invalid_type');
  const role = roleNames[roleValue];
  if (role === undefined) {
    const why =
      roleValue === 'tool' || roleValue === 'function'
        ? `role '${roleValue}' is not supported: this server does not call tools`
        : `'${roleValue}' is not a role; use 'system', 'developer', 'user' or 'assistant'`;
    throw invalidParam(`${at}.role`, `'${at}.role': ${why}.`, 'invalid_role');
  }
  for (const toolField of ['tool_calls', 'function_call', 'audio']) {
    if (message[toolField] !== undefined && message[toolField] !== null) throw unsupportedParam(`${at}.${toolField}`, 'this server does not call tools or take audio');
  }
  return { role, content: parseContent(message['content'], `${at}.content`) };
}

/** A string, or an array of `{type: "text", text}` parts joined in order. */
function parseContent(value: unknown, at: string): string {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) throw invalidParam(at, `'${at}' is missing: every message needs text content.`, 'missing_required_parameter');
  if (!Array.isArray(value)) throw invalidParam(at, `'${at}' must be a string or an array of text parts, not ${describeJson(value)}.`, 'invalid_type');
  return value
    .map((part: unknown, index) => {
      const partAt = `${at}[${index}]`;
      if (!isJsonObject(part)) throw invalidParam(partAt, `'${partAt}' must be an object like {"type": "text", "text": "…"}, not ${describeJson(part)}.`, 'invalid_type');
      if (part['type'] !== 'text') {
        const type = typeof part['type'] === 'string' ? `'${part['type']}'` : describeJson(part['type']);
        throw invalidParam(`${partAt}.type`, `'${partAt}.type' is ${type}: this server takes text parts only.`, 'unsupported_content_type');
      }
      const text = part['text'];
      if (typeof text !== 'string') throw invalidParam(`${partAt}.text`, `'${partAt}.text' must be a string, not ${describeJson(text)}.`, 'invalid_type');
      return text;
    })
    .join('');
}

function parseStop(value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  const stops = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(stops)) throw invalidParam('stop', `'stop' must be a string or an array of strings, not ${describeJson(value)}.`, 'invalid_type');
  if (stops.length > maxStopSequences) throw invalidParam('stop', `'stop' holds ${stops.length} sequences; at most ${maxStopSequences} are allowed.`);
  stops.forEach((stop: unknown, index) => {
    if (typeof stop !== 'string' || stop.length === 0) throw invalidParam(`stop[${index}]`, `'stop[${index}]' must be a non-empty string, not ${describeJson(stop)}.`, 'invalid_type');
  });
  return stops.length > 0 ? (stops as string[]) : undefined;
}

function parseStreamOptions(value: unknown, stream: boolean): boolean {
  if (value === undefined || value === null) return false;
  if (!isJsonObject(value)) throw invalidParam('stream_options', `'stream_options' must be an object, not ${describeJson(value)}.`, 'invalid_type');
  if (!stream) throw invalidParam('stream_options', "'stream_options' is only allowed when 'stream' is true.");
  return optionalBoolean(value, 'include_usage') ?? false;
}

/** Fields whose presence (with a value that asks for something) this server cannot honour. */
function refuseUnsupported(fields: JsonObject): void {
  const asks = (param: string): boolean => {
    const value = fields[param];
    return value !== undefined && value !== null && value !== false && !(Array.isArray(value) && value.length === 0);
  };
  if (asks('tools')) throw unsupportedParam('tools', 'this server does not call tools');
  if (asks('functions')) throw unsupportedParam('functions', 'this server does not call functions');
  for (const param of ['tool_choice', 'function_call']) {
    if (asks(param) && fields[param] !== 'none') throw unsupportedParam(param, 'this server does not call tools');
  }
  const responseFormat = fields['response_format'];
  if (responseFormat !== undefined && responseFormat !== null) {
    if (!isJsonObject(responseFormat) || typeof responseFormat['type'] !== 'string') {
      throw invalidParam('response_format', '\'response_format\' must be an object like {"type": "text"}.', 'invalid_type');
    }
    if (responseFormat['type'] !== 'text') throw unsupportedParam('response_format', `'${responseFormat['type']}' output is not enforced; only {"type": "text"} is`);
  }
  if (asks('logprobs')) throw unsupportedParam('logprobs', 'log probabilities are not returned');
  if (asks('top_logprobs')) throw unsupportedParam('top_logprobs', 'log probabilities are not returned');
  if (isJsonObject(fields['logit_bias']) && Object.keys(fields['logit_bias']).length > 0) throw unsupportedParam('logit_bias', 'token biases are not applied');
  for (const penalty of ['presence_penalty', 'frequency_penalty']) {
    const value = fields[penalty];
    if (value !== undefined && value !== null && value !== 0) throw unsupportedParam(penalty, 'penalties are not applied; send 0 or leave it out');
  }
  if (Array.isArray(fields['modalities']) && fields['modalities'].some((modality) => modality !== 'text')) throw unsupportedParam('modalities', 'only text is generated');
  if (asks('audio')) throw unsupportedParam('audio', 'only text is generated');
}
