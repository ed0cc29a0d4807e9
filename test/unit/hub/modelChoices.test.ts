import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { arrangeModelChoices, type ModelChoice } from '../../../src/core/hub/modelChoices';

const choices: ModelChoice[] = [
  { id: 'onnx-community/Qwen2.5-0.5B-Instruct', origin: 'suggested' },
  { id: 'acme/cached-chat', origin: 'cache' },
  { id: '/models/my-llama', origin: 'local' },
  { id: 'acme/hub-result', origin: 'hub' },
];

const layout = (sections: ReturnType<typeof arrangeModelChoices>): [string, boolean, string[]][] =>
  sections.map((section) => [section.title, section.unavailable, section.choices.map((choice) => choice.id)]);

describe('the order of the model picker', () => {
  it('online: the suggested default first, then local folders, the cache, and the Hub', () => {
    assert.deepEqual(layout(arrangeModelChoices(choices, 'online')), [
      ['Suggested', false, ['onnx-community/Qwen2.5-0.5B-Instruct']],
      ['Local folders', false, ['/models/my-llama']],
      ['In the cache', false, ['acme/cached-chat']],
      ['Hugging Face Hub', false, ['acme/hub-result']],
    ]);
  });

  it('offline: what is on this machine first; the suggestion and Hub models after it, marked as needing a download', () => {
    const sections = arrangeModelChoices(choices, 'offline');
    assert.deepEqual(layout(sections), [
      ['Local folders', false, ['/models/my-llama']],
      ['In the cache', false, ['acme/cached-chat']],
      ['Needs a download (offline mode is on)', true, ['onnx-community/Qwen2.5-0.5B-Instruct', 'acme/hub-result']],
    ]);
    assert.notEqual(sections[0]?.choices[0]?.origin, 'suggested');
  });

  it('Hub unreachable: the same order, with the reason in the heading', () => {
    const sections = arrangeModelChoices(choices, 'unreachable');
    assert.equal(sections.at(-1)?.title, 'Needs a download (the Hub cannot be reached)');
    assert.equal(sections.at(-1)?.unavailable, true);
    assert.equal(sections[0]?.title, 'Local folders');
  });

  it('offers a suggestion that is already cached as cached, once, so picking it downloads nothing', () => {
    const sections = arrangeModelChoices(
      [
        { id: 'acme/x', origin: 'suggested' },
        { id: 'acme/x', origin: 'cache' },
        { id: 'acme/x', origin: 'hub' },
      ],
      'online',
    );
    assert.deepEqual(layout(sections), [['In the cache', false, ['acme/x']]]);
  });

  it('leaves out empty sections: nothing on this machine and offline leaves only the marked downloads', () => {
    assert.deepEqual(layout(arrangeModelChoices([{ id: 'acme/s', origin: 'suggested' }], 'offline')), [['Needs a download (offline mode is on)', true, ['acme/s']]]);
    assert.deepEqual(arrangeModelChoices([], 'online'), []);
  });
});
