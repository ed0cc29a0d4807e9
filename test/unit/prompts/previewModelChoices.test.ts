import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type CachedModel } from '../../../src/core/hub/cacheScan';
import { previewModelChoices, validPreviewModel } from '../../../src/core/prompts/previewModelChoices';
import { validPreviewInputs } from '../../../src/shared/promptPreviewProtocol';

function cached(repoId: string, paths: string[]): CachedModel {
  const files = paths.map((path) => ({ path, size: 10, present: true }));
  return {
    repoId,
    folder: `/cache/models--${repoId.replace('/', '--')}`,
    refs: { main: 'a'.repeat(40) },
    revisions: [{ commit: 'a'.repeat(40), refs: ['main'], folder: '/snap', files, size: 10, lastModified: new Date(0) }],
    sizeOnDisk: 10,
    incompleteBytes: 0,
    lastModified: new Date(0),
    warnings: [],
  };
}

const chatModel = cached('org/chat-small', ['config.json', 'generation_config.json', 'tokenizer.json', 'tokenizer_config.json', 'onnx/model.onnx']);
const bareModel = cached('org/bare', ['config.json', 'model.safetensors']);
const embedder = cached('org/embedder', ['modules.json', '1_Pooling/config.json', 'tokenizer.json', 'tokenizer_config.json']);

describe("the prompt preview's model list", () => {
  it('starts with automatic, describing what it falls back to', () => {
    const [automatic] = previewModelChoices([], { fallback: 'org/chat-small' });
    assert.equal(automatic!.id, undefined);
    assert.match(automatic!.description, /template's model\.id .* else org\/chat-small/);
  });

  it('lists the chat models of the cache, not the embedding models, those with a chat template first', () => {
    const ids = previewModelChoices([bareModel, embedder, chatModel], {}).map((choice) => choice.id);
    assert.deepEqual(ids, [undefined, 'org/chat-small', 'org/bare']);
  });

  it('says when a model cannot give the exact prompt string', () => {
    const bare = previewModelChoices([bareModel], {}).find((choice) => choice.id === 'org/bare');
    assert.equal(bare?.exactPrompt, false);
    assert.match(bare?.description ?? '', /messages only/);
  });

  it('counts a chat_template.json (the processor template of multimodal models) as a chat template', () => {
    const multimodal = cached('org/vision-chat', ['config.json', 'tokenizer.json', 'chat_template.json', 'onnx/model.onnx']);
    assert.equal(previewModelChoices([multimodal], {}).find((choice) => choice.id === 'org/vision-chat')?.exactPrompt, true);
  });

  it('puts the current choice first, also when it is a folder or no longer cached', () => {
    assert.equal(previewModelChoices([bareModel, chatModel], { chosen: 'org/bare' })[1]!.id, 'org/bare');
    const folder = previewModelChoices([chatModel], { chosen: '/models/mine' })[1]!;
    assert.deepEqual([folder.id, folder.description], ['/models/mine', 'model folder']);
    assert.equal(previewModelChoices([chatModel], { chosen: 'org/gone' })[1]!.description, 'not in the cache');
  });
});

describe('the remembered preview model, read back from storage', () => {
  it('keeps a Hub id or an absolute folder', () => {
    assert.equal(validPreviewModel('org/name'), 'org/name');
    assert.equal(validPreviewModel('org/name@main'), 'org/name@main');
    assert.equal(validPreviewModel('/models/mine'), '/models/mine');
  });

  it('treats anything else as no choice', () => {
    for (const bad of [undefined, null, 42, '', 'relative/../../etc', 'just-a-name', '/a\0b', { id: 'org/name' }, `/${'x'.repeat(5000)}`]) {
      assert.equal(validPreviewModel(bad), undefined, JSON.stringify(bad));
    }
  });
});

describe('messages from the preview webview', () => {
  it('accepts the values typed in the inputs form', () => {
    assert.deepEqual(validPreviewInputs({ inputs: { question: 'How?', history: '[]' } }), { inputs: { question: 'How?', history: '[]' } });
  });

  it('refuses bad inputs', () => {
    assert.equal(validPreviewInputs({ inputs: { a: 1 } }), undefined);
    assert.equal(validPreviewInputs({ inputs: ['x'] }), undefined);
    assert.equal(validPreviewInputs('tryInChat'), undefined);
  });
});
