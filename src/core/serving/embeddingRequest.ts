/**
 * Reads a `POST /v1/embeddings` body: `input` as one string or an array of strings (token arrays are refused: the
 * server cannot know which tokenizer made them), `encoding_format` float or base64, and `dimensions`, which is only
 * checked against the model's size once the vectors exist (the model cannot shorten its vectors).
 */
import { describeJson, invalidParam, optionalInteger, requireBodyObject, requiredString, unsupportedParam } from './requestFields';

export interface EmbeddingRequest {
  model: string;
  inputs: string[];
  encodingFormat: 'float' | 'base64';
  dimensions?: number;
}

/** OpenAI's limit on inputs per request. */
export const maxEmbeddingInputs = 2048;

export function parseEmbeddingRequest(body: unknown): EmbeddingRequest {
  const fields = requireBodyObject(body);
  const model = requiredString(fields, 'model');
  const inputs = parseInputs(fields['input']);
  const format = fields['encoding_format'];
  if (format !== undefined && format !== null && format !== 'float' && format !== 'base64') {
    throw invalidParam('encoding_format', `'encoding_format' must be 'float' or 'base64', not ${typeof format === 'string' ? `'${format}'` : describeJson(format)}.`);
  }
  const dimensions = optionalInteger(fields, 'dimensions', { min: 1, max: Number.MAX_SAFE_INTEGER });
  return { model, inputs, encodingFormat: format === 'base64' ? 'base64' : 'float', ...(dimensions !== undefined ? { dimensions } : {}) };
}

function parseInputs(value: unknown): string[] {
  if (value === undefined || value === null) throw invalidParam('input', "Missing required parameter: 'input'.", 'missing_required_parameter');
  const inputs = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(inputs)) throw invalidParam('input', `'input' must be a string or an array of strings, not ${describeJson(value)}.`, 'invalid_type');
  if (inputs.length === 0) throw invalidParam('input', "'input' must hold at least one string.", 'empty_array');
  if (inputs.length > maxEmbeddingInputs) throw invalidParam('input', `'input' holds ${inputs.length} items; at most ${maxEmbeddingInputs} are allowed.`);
  inputs.forEach((input: unknown, index) => {
    const at = typeof value === 'string' ? 'input' : `input[${index}]`;
    if (typeof input === 'number' || (Array.isArray(input) && input.every((token) => typeof token === 'number'))) {
      throw unsupportedParam('input', 'token arrays cannot be embedded (the server cannot know their tokenizer); send text');
    }
    if (typeof input !== 'string') throw invalidParam(at, `'${at}' must be a string, not ${describeJson(input)}.`, 'invalid_type');
    if (input.length === 0) throw invalidParam(at, `'${at}' is empty; every input must hold text.`);
  });
  return inputs as string[];
}
