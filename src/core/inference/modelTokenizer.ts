import { Tokenizer } from '@huggingface/tokenizers';
import { configNumber, ModelError, type ModelFolder } from './modelFolder';

/** The model's tokenizer (tokenizer.json + tokenizer_config.json), or a ModelError naming the file. */
export function createTokenizer(model: ModelFolder): Tokenizer {
  try {
    return new Tokenizer(model.tokenizerJson, model.tokenizerConfig);
  } catch (error) {
    throw new ModelError(`${model.dir}/tokenizer.json cannot be used: ${error instanceof Error ? error.message : String(error)}`, `${model.dir}/tokenizer.json`);
  }
}

/** A tokenizer that does not belong to the model yields ids past its embedding table: say so instead of failing in Gather. */
export function checkVocabulary(ids: readonly number[], model: ModelFolder): void {
  const vocabulary = configNumber(model.config, 'vocab_size');
  if (vocabulary === undefined) return;
  const outside = ids.find((id) => id >= vocabulary);
  if (outside !== undefined) {
    throw new ModelError(
      `${model.dir}: the tokenizer produced token id ${outside} but config.json's vocab_size is ${vocabulary}: tokenizer.json does not belong to this model`,
      `${model.dir}/tokenizer.json`,
    );
  }
}
