import * as assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { loadTokenCounter } from '../../../src/core/datasets/tokenizer';
import { ChatTemplateError, readChatTemplate, renderChatTemplate } from '../../../src/core/templates/chatTemplate';
import { loadModelPromptInfo } from '../../../src/core/prompts/modelPromptInfo';
import { bertTokenizerJson } from '../../support/modelGenerator/tokenizers';
import { scratchDir } from '../../support/scratchDir';

/** A template that says its name in the output. */
const named = (name: string): string => `${name}:{% for m in messages %}[{{ m.role }}] {{ m.content }}{% endfor %}{% if add_generation_prompt %}[assistant]{% endif %}`;
const hi = [{ role: 'user', content: 'hi' }];

/** A model folder holding just these files (text, or JSON for objects), with a tiny tokenizer.json. */
function modelFolder(files: Record<string, string | object>): string {
  const dir = scratchDir('chat-template');
  const tokenizer = bertTokenizerJson(['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]', 'hi']);
  for (const [name, content] of Object.entries({ 'tokenizer.json': tokenizer, ...files })) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return dir;
}

function render(dir: string, config: Record<string, unknown> | undefined, variables: Record<string, unknown> = {}): string {
  const { template } = readChatTemplate(dir, config);
  assert.ok(template, 'a template is found');
  return renderChatTemplate(template, hi, { addGenerationPrompt: true, variables });
}

describe("reading a model's chat template", () => {
  it('prefers chat_template.jinja, then chat_template.json, then tokenizer_config.json', () => {
    const config = { chat_template: named('config') };
    const all = modelFolder({ 'chat_template.jinja': named('jinja'), 'chat_template.json': { chat_template: named('json') } });
    assert.equal(render(all, config), 'jinja:[user] hi[assistant]');
    assert.equal(readChatTemplate(all, config).template?.fileName, 'chat_template.jinja');
    const noJinja = modelFolder({ 'chat_template.json': { chat_template: named('json') } });
    assert.equal(render(noJinja, config), 'json:[user] hi[assistant]');
    assert.equal(render(modelFolder({}), config), 'config:[user] hi[assistant]');
    assert.deepEqual(readChatTemplate(modelFolder({}), {}), { problems: [] });
  });

  it('uses the tool_use template when tools are given, else the default, as transformers chooses', () => {
    const config = {
      chat_template: [
        { name: 'tool_use', template: named('tool_use') },
        { name: 'default', template: named('default') },
      ],
    };
    const dir = modelFolder({});
    assert.equal(render(dir, config), 'default:[user] hi[assistant]');
    assert.equal(render(dir, config, { tools: [{ type: 'function', function: { name: 'search' } }] }), 'tool_use:[user] hi[assistant]');
  });

  it('reads the named templates transformers saves beside chat_template.jinja in additional_chat_templates/', () => {
    const dir = modelFolder({ 'chat_template.jinja': named('jinja'), 'additional_chat_templates/tool_use.jinja': named('tool file') });
    assert.equal(render(dir, { chat_template: named('config') }, { tools: [] }), 'tool file:[user] hi[assistant]');
    assert.equal(render(dir, undefined), 'jinja:[user] hi[assistant]');
  });

  it('renders with the special tokens of tokenizer_config.json, whether strings or added-token objects', () => {
    const dir = modelFolder({ 'chat_template.jinja': '{{ bos_token }}{{ messages[0].content }}{{ eos_token }}' });
    assert.equal(render(dir, { bos_token: '<s>', eos_token: { content: '</s>', special: true } }), '<s>hi</s>');
  });

  it('names a chat_template.json that is not JSON, and falls back to tokenizer_config.json', () => {
    const dir = modelFolder({ 'chat_template.json': '{ not json' });
    const { template, problems } = readChatTemplate(dir, { chat_template: named('config') });
    assert.equal(template?.fileName, 'tokenizer_config.json');
    assert.equal(problems.length, 1);
    assert.equal(problems[0]!.file, join(dir, 'chat_template.json'));
    assert.match(problems[0]!.message, /chat_template\.json is not valid JSON/);
    assert.match(loadModelPromptInfo(dir).notes[0]!, /chat_template\.json is not valid JSON/, 'the preview says why');
  });

  it('reports a template that does not parse or that fails as a ChatTemplateError naming its file and why', () => {
    const broken = modelFolder({ 'chat_template.jinja': '{% for m in messages %}' });
    assert.throws(
      () => render(broken, undefined),
      (error: unknown) => {
        assert.ok(error instanceof ChatTemplateError);
        assert.equal(error.failure, 'syntax');
        assert.equal(error.file, join(broken, 'chat_template.jinja'));
        assert.ok(error.message.startsWith(`The chat template of ${broken} (chat_template.jinja) cannot be parsed: `), error.message);
        return true;
      },
    );
    const refusing = modelFolder({ 'chat_template.jinja': "{{ raise_exception('Conversation roles must alternate') }}" });
    assert.throws(
      () => render(refusing, undefined),
      (error: unknown) => error instanceof ChatTemplateError && error.failure === 'conversation' && /failed: Conversation roles must alternate/.test(error.message),
    );
  });
});

describe('dataset token counts render rows with the same template as the engine', () => {
  it('uses chat_template.jinja beside the tokenizer, over tokenizer_config.json', async () => {
    const dir = modelFolder({ 'chat_template.jinja': named('jinja'), 'tokenizer_config.json': { chat_template: named('config') } });
    const counter = await loadTokenCounter(dir);
    assert.equal(counter.renderChat?.(hi), 'jinja:[user] hi');
  });

  it('refuses a chat_template.jinja that is not a regular file, naming it', async () => {
    const dir = modelFolder({});
    mkdirSync(join(dir, 'chat_template.jinja'));
    await assert.rejects(loadTokenCounter(dir), /Cannot load the tokenizer .*tokenizer\.json: .*chat_template\.jinja/);
  });
});
