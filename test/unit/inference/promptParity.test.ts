import * as assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { chatPromptText, OnnxTextGenerator } from '../../../src/core/inference/textGenerator';
import { renderPrompt } from '../../../src/core/prompts/renderPrompt';
import { qwen3TokenizerFiles } from '../../support/modelGenerator/tokenizers';
import { decoderModel } from '../../support/testModels';

/** A template that shows which file it came from in every turn. */
function markedTemplate(marker: string): string {
  return `{% for m in messages %}<|im_start|>${marker} {{ m.role }}\n{{ m.content }}<|im_end|>\n{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}`;
}

const { tokenizerConfig } = qwen3TokenizerFiles();
const { chat_template: qwen3Template, ...configWithoutTemplate } = tokenizerConfig;

/** Each way a model folder can hold its chat template, and a text only the template that must win renders. */
const layouts: { name: string; tokenizerConfig: Record<string, unknown>; files: Record<string, string>; expect: string }[] = [
  { name: 'chat_template.jinja only', tokenizerConfig: configWithoutTemplate, files: { 'chat_template.jinja': markedTemplate('[jinja]') }, expect: '[jinja] user' },
  { name: 'chat_template.json only', tokenizerConfig: configWithoutTemplate, files: { 'chat_template.json': JSON.stringify({ chat_template: markedTemplate('[json]') }) }, expect: '[json] user' },
  { name: 'tokenizer_config.json only (Qwen3’s real template)', tokenizerConfig, files: {}, expect: '<|im_start|>user\nWhat is rclone?<|im_end|>\n<|im_start|>assistant\n' },
  {
    name: 'tokenizer_config.json with a named list (tool_use listed first)',
    tokenizerConfig: {
      ...configWithoutTemplate,
      chat_template: [
        { name: 'tool_use', template: markedTemplate('[tool_use]') },
        { name: 'default', template: markedTemplate('[default]') },
      ],
    },
    files: {},
    expect: '[default] user',
  },
  {
    name: 'chat_template.jinja and tokenizer_config.json disagreeing (the .jinja file wins, as in transformers)',
    tokenizerConfig: { ...tokenizerConfig, chat_template: qwen3Template },
    files: { 'chat_template.jinja': markedTemplate('[jinja wins]') },
    expect: '[jinja wins] user',
  },
];

// One generated decoder (a real ONNX graph and Qwen3's tokenizer) serves every layout: each test rewrites its template files.
const { dir } = decoderModel({ layers: 1, hiddenSize: 32, heads: 2, kvHeads: 1, vocabSize: 1000 });
const generatedConfig = JSON.parse(readFileSync(join(dir, 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;

function applyLayout(layout: (typeof layouts)[number]): void {
  for (const name of ['chat_template.jinja', 'chat_template.json']) rmSync(join(dir, name), { force: true });
  writeFileSync(join(dir, 'tokenizer_config.json'), JSON.stringify({ ...layout.tokenizerConfig, model_max_length: generatedConfig.model_max_length }));
  for (const [name, content] of Object.entries(layout.files)) writeFileSync(join(dir, name), content);
}

const template = 'system:\nYou answer briefly.\n\nuser:\nWhat is rclone?\n';

describe('the prompt preview shows the exact string the engine tokenizes', () => {
  for (const layout of layouts) {
    it(layout.name, async () => {
      applyLayout(layout);
      const preview = await renderPrompt({ text: template, workspaceRoots: [], model: dir });
      assert.ok(preview.prompt !== undefined, `the preview found no template: ${preview.modelHint ?? ''}`);
      assert.ok(preview.prompt.includes(layout.expect), `the wrong template was used: ${JSON.stringify(preview.prompt)}`);

      const generator = await OnnxTextGenerator.load(dir);
      try {
        const messages = preview.messages.map(({ role, content }) => ({ role, content }));
        // encodeChat is what generate() feeds the model; chatPromptText is the text it tokenizes.
        const engineText = chatPromptText(generator.model, messages);
        assert.ok(engineText.templated);
        assert.equal(engineText.text, preview.prompt);
        assert.deepEqual(generator.encodeChat(messages), generator.tokenizer.encode(preview.prompt, { add_special_tokens: false }).ids);
      } finally {
        await generator.dispose();
      }
    });
  }
});
