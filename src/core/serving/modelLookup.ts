/** Finds the model a request names among the provider's, with OpenAI's 404 when it is not served. */
import { type ServedModel, type ServedModelProvider, ServingError } from './servedModels';

export async function requireServedModel(provider: ServedModelProvider, id: string, kind: ServedModel['kind']): Promise<ServedModel> {
  const models = await provider.listModels();
  const model = models.find((candidate) => candidate.id === id);
  if (model === undefined) {
    const served = models.map((candidate) => candidate.id).join(', ');
    throw new ServingError(404, 'not_found_error', `The model '${id}' does not exist here. Served models: ${served || 'none'}.`, 'model', 'model_not_found');
  }
  if (model.kind !== kind) {
    const use = model.kind === 'embedding' ? '/v1/embeddings' : '/v1/chat/completions';
    throw new ServingError(400, 'invalid_request_error', `The model '${id}' is ${model.kind === 'embedding' ? 'an embedding' : 'a chat'} model; use it with ${use}.`, 'model', 'wrong_model_kind');
  }
  return model;
}
