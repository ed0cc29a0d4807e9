import * as assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Tokenizer } from '@huggingface/tokenizers';
import { StopStringMatcher, StreamingDetokenizer } from '../../../src/core/inference/textStream';
import { bertTokenizerConfig, bertTokenizerJson, bertUncasedVocab, qwen3TokenizerFiles } from '../../support/modelGenerator/tokenizers';

const qwen = (() => {
  const { tokenizerJson, tokenizerConfig } = qwen3TokenizerFiles();
  return new Tokenizer(JSON.parse(tokenizerJson) as object, tokenizerConfig);
})();

function stream(tokenizer: Tokenizer, text: string): string[] {
  const detokenizer = new StreamingDetokenizer(tokenizer);
  const deltas = tokenizer.encode(text, { add_special_tokens: false }).ids.map((id) => detokenizer.push(id));
  deltas.push(detokenizer.flush());
  return deltas.filter((delta) => delta.length > 0);
}

describe('streaming detokenization', () => {
  it('never emits half of a multi-byte character, and the deltas add up to the text', () => {
    const text = 'Grüße aus Köln 🦀🇩🇪 — 日本語のテキスト, ñandú, עברית, 👩‍👩‍👧';
    const ids = qwen.encode(text, { add_special_tokens: false }).ids;
    assert.ok(ids.length > [...text].length / 2, 'byte-level BPE splits some characters over several tokens');
    const deltas = stream(qwen, text);
    for (const delta of deltas) assert.ok(!delta.includes('\uFFFD'), `delta ${JSON.stringify(delta)} holds a broken character`);
    assert.equal(deltas.join(''), text);
  });

  it('keeps the spaces between WordPiece tokens that decoders drop at the start of a decode', () => {
    const vocab = bertUncasedVocab();
    const bert = new Tokenizer(bertTokenizerJson(vocab), bertTokenizerConfig(512));
    assert.equal(stream(bert, 'the unbelievable tokenization works').join(''), 'the unbelievable tokenization works');
  });
});

describe('stop strings', () => {
  it('finds a stop string split across several deltas and emits nothing of it', () => {
    const matcher = new StopStringMatcher(['\nUser:']);
    const emitted: string[] = [];
    let stopped = false;
    for (const delta of ['Sure', ', here', ' it is.\n', 'Us', 'er', ': more']) {
      const result = matcher.push(delta);
      emitted.push(result.text);
      if (result.stopped) {
        stopped = true;
        break;
      }
    }
    assert.ok(stopped);
    assert.equal(emitted.join(''), 'Sure, here it is.');
  });

  it('releases held-back text once it can no longer become a stop string', () => {
    const matcher = new StopStringMatcher(['END']);
    assert.deepEqual(matcher.push('the EN'), { text: 'the ', stopped: false });
    assert.deepEqual(matcher.push('ding'), { text: 'ENding', stopped: false });
    assert.equal(matcher.flush(), '');
  });

  it('stops at the earliest of several stop strings', () => {
    const matcher = new StopStringMatcher(['</answer>', '\n\n']);
    assert.deepEqual(matcher.push('a\n\nb</answer>'), { text: 'a', stopped: true, stop: '\n\n' });
  });

  it('does not split a surrogate pair between emitted and held text', () => {
    const matcher = new StopStringMatcher(['\uDE00x']);
    const { text } = matcher.push('ok 😀');
    assert.ok(!/[\uD800-\uDBFF]$/.test(text), 'a lone high surrogate was emitted');
    assert.equal(text + matcher.flush(), 'ok 😀');
  });
});
