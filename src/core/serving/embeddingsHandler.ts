/** `POST /v1/embeddings` once the request is read and checked: one provider call in a generation slot. */
import { type ServerResponse } from 'node:http';
import { acquireSlot, type ExchangeLifetime, type ServingContext } from './servingContext';
import { closingError } from './admission';
import { sendJson } from './httpExchange';
import { type EmbeddingRequest } from './embeddingRequest';
import { float32Base64, type WireEmbeddingList } from './openAiWire';
import { invalidParam } from './requestFields';
import { ServingError } from './servedModels';

export async function answerEmbeddings(context: ServingContext, parsed: EmbeddingRequest, response: ServerResponse, lifetime: ExchangeLifetime): Promise<void> {
  const embed = context.provider.embed?.bind(context.provider);
  if (embed === undefined) throw new ServingError(404, 'not_found_error', 'This server serves no embedding model.', 'model', 'model_not_found');
  const release = await acquireSlot(context, lifetime.signal);
  let result;
  try {
    result = await embed(parsed.model, parsed.inputs, lifetime.signal);
  } finally {
    release();
    context.stats.changed();
  }
  if (lifetime.signal.aborted) throw closingError();
  if (result.vectors.length !== parsed.inputs.length) throw new Error(`the embedding model returned ${result.vectors.length} vectors for ${parsed.inputs.length} inputs`);
  const size = result.vectors[0]?.length ?? 0;
  if (parsed.dimensions !== undefined && parsed.dimensions !== size) {
    throw invalidParam('dimensions', `'dimensions' is ${parsed.dimensions}, but '${parsed.model}' makes vectors of ${size} dimensions and cannot shorten them; leave 'dimensions' out.`);
  }
  context.stats.countTokens(result.promptTokens, 0);
  const body: WireEmbeddingList = {
    object: 'list',
    data: result.vectors.map((vector, index) => ({ object: 'embedding', index, embedding: parsed.encodingFormat === 'base64' ? float32Base64(vector) : Array.from(vector) })),
    model: parsed.model,
    usage: { prompt_tokens: result.promptTokens, total_tokens: result.promptTokens },
  };
  sendJson(response, 200, body);
}
