import * as assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { availableMemoryBytes } from '../../../src/core/inference/inferenceEngine';
import { openModelFolder, selectOnnxFile } from '../../../src/core/inference/modelFolder';
import { chatPromptText } from '../../../src/core/inference/textGenerator';
import { qwen3TokenizerFiles } from '../../support/modelGenerator/tokenizers';
import { scratchDir } from '../../support/scratchDir';

/** A model folder with Qwen3's real tokenizer files and a placeholder ONNX file (templates need no weights). */
function folder(tokenizerConfig: Record<string, unknown>, extraFiles: Record<string, string> = {}): string {
  const dir = join(scratchDir('template'), 'model');
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  writeFileSync(join(dir, 'onnx', 'model_quantized.onnx'), 'placeholder');
  writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'qwen3' }));
  writeFileSync(join(dir, 'tokenizer.json'), qwen3TokenizerFiles().tokenizerJson);
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig));
  for (const [name, content] of Object.entries(extraFiles)) writeFileSync(join(dir, name), content);
  return dir;
}

describe('chat templates', () => {
  const { tokenizerConfig } = qwen3TokenizerFiles();

  it("renders Qwen3's real template with the assistant turn opened", () => {
    const model = openModelFolder(folder(tokenizerConfig));
    const { text, templated } = chatPromptText(model, [
      { role: 'system', content: 'You answer briefly.' },
      { role: 'user', content: 'What is rclone?' },
    ]);
    assert.ok(templated);
    assert.equal(text, '<|im_start|>system\nYou answer briefly.<|im_end|>\n<|im_start|>user\nWhat is rclone?<|im_end|>\n<|im_start|>assistant\n');
  });

  it('passes template variables such as enable_thinking', () => {
    const model = openModelFolder(folder(tokenizerConfig));
    const { text } = chatPromptText(model, [{ role: 'user', content: 'hi' }], { enable_thinking: false });
    assert.ok(text.endsWith('<|im_start|>assistant\n<think>\n\n</think>\n\n'), JSON.stringify(text));
  });

  it('reads chat_template.jinja when tokenizer_config.json has no template', () => {
    const { chat_template: _unused, ...withoutTemplate } = tokenizerConfig;
    const model = openModelFolder(
      folder(withoutTemplate, { 'chat_template.jinja': '{% for m in messages %}[{{ m.role }}] {{ m.content }}\n{% endfor %}{% if add_generation_prompt %}[assistant] {% endif %}' }),
    );
    assert.equal(chatPromptText(model, [{ role: 'user', content: 'hi' }]).text, '[user] hi\n[assistant] ');
  });

  it('joins the messages of a base model without a template', () => {
    const { chat_template: _unused, ...withoutTemplate } = tokenizerConfig;
    const model = openModelFolder(folder(withoutTemplate));
    assert.deepEqual(chatPromptText(model, [{ role: 'user', content: 'Once upon a time' }]), { text: 'Once upon a time', templated: false });
  });

  it('names the file of a template that does not parse', () => {
    const model = openModelFolder(folder({ chat_template: '{% for m in messages %}' }));
    assert.throws(
      () => chatPromptText(model, [{ role: 'user', content: 'hi' }]),
      (error: Error & { file?: string }) => {
        assert.ok(error.message.startsWith(`The chat template of ${model.dir} (tokenizer_config.json) cannot be parsed`), error.message);
        assert.equal(error.file, join(model.dir, 'tokenizer_config.json'));
        return true;
      },
    );
  });

  it('reports range(10**9) in the chat template as an error naming the file, instead of aborting the engine', () => {
    const model = openModelFolder(folder({ ...tokenizerConfig, chat_template: '{% for i in range(10**9) %}{{ i }}{% endfor %}' }));
    assert.throws(
      () => chatPromptText(model, [{ role: 'user', content: 'hi' }]),
      (error: Error & { file?: string }) => {
        assert.match(error.message, /\(tokenizer_config\.json\) failed: range\(\) of 1,000,000,000 items is over the limit of 1,000,000/);
        assert.equal(error.file, join(model.dir, 'tokenizer_config.json'));
        return true;
      },
    );
  });

  it('stops a chat template that loops too long by its time budget', () => {
    const model = openModelFolder(folder({ ...tokenizerConfig, chat_template: '{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}{% endfor %}' }));
    const started = Date.now();
    assert.throws(() => chatPromptText(model, [{ role: 'user', content: 'hi' }], {}, { timeMs: 300, maxLoopIterations: 1e12 }), /Rendering stopped after 300 ms/);
    assert.ok(Date.now() - started < 5000);
  });

  it('uses chat_template.jinja over the template in tokenizer_config.json, as transformers and the preview do', () => {
    const model = openModelFolder(folder(tokenizerConfig, { 'chat_template.jinja': '{% for m in messages %}<{{ m.content }}>{% endfor %}' }));
    assert.equal(model.chatTemplate?.fileName, 'chat_template.jinja');
    assert.equal(chatPromptText(model, [{ role: 'user', content: 'hi' }]).text, '<hi>');
  });

  it('refuses a chat_template.jinja it cannot read with a ModelError naming it, instead of using another template', () => {
    const dir = folder(tokenizerConfig);
    mkdirSync(join(dir, 'chat_template.jinja'));
    assert.throws(
      () => openModelFolder(dir),
      (error: Error & { file?: string }) => {
        assert.equal(error.name, 'ModelError');
        assert.equal(error.file, join(dir, 'chat_template.jinja'));
        assert.match(error.message, /chat_template\.jinja is a folder, not a regular file/);
        return true;
      },
    );
  });

  it('picks the weights by dtype and lists what exists when one is missing', () => {
    const model = openModelFolder(folder(tokenizerConfig));
    assert.equal(selectOnnxFile(model).dtype, 'q8');
    assert.throws(() => selectOnnxFile(model, 'fp16'), /has no fp16 weights \(onnx\/model_fp16\.onnx\); it has: q8/);
  });

  it('measures available memory', () => {
    assert.ok(availableMemoryBytes() > 0);
  });
});
