/** `GET /v1/models` as OpenAI writes it, with vLLM's `parent` (adapters, served templates) and `max_model_len`. */
import { type WireModelList } from './openAiWire';
import { type ServedModel } from './servedModels';

export function modelListing(models: readonly ServedModel[], created: number): WireModelList {
  return {
    object: 'list',
    data: models.map((model) => ({
      id: model.id,
      object: 'model',
      created,
      owned_by: model.ownedBy,
      ...(model.parent !== undefined ? { parent: model.parent } : {}),
      ...(model.contextLength !== undefined ? { max_model_len: model.contextLength } : {}),
    })),
  };
}
