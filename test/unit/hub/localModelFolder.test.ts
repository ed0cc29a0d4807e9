import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { inspectLocalModelFolder, LocalModelFolderError } from '../../../src/core/hub/localModelFolder';
import { openModelFolder } from '../../../src/core/inference/modelFolder';
import { writeCachedModel } from '../../support/hubServer';
import { scratchDir } from '../../support/scratchDir';

const tokenizer = JSON.stringify({ version: '1.0', model: { type: 'WordLevel', vocab: { a: 0 } } });
const chatFiles = { 'config.json': '{"model_type":"llama"}', 'tokenizer.json': tokenizer, 'generation_config.json': '{}', 'onnx/model_q4.onnx': 'weights' };

function writeFolder(root: string, name: string, files: Record<string, string>): string {
  const folder = join(root, name);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(join(folder, path, '..'), { recursive: true });
    writeFileSync(join(folder, path), content);
  }
  mkdirSync(folder, { recursive: true });
  return folder;
}

async function rejectsWith(path: string, pattern: RegExp): Promise<void> {
  await assert.rejects(inspectLocalModelFolder(path), (error: unknown) => {
    assert.ok(error instanceof LocalModelFolderError, `a LocalModelFolderError, not ${String(error)}`);
    assert.match(error.message, pattern);
    return true;
  });
}

describe('a local model folder chosen with "Use a Local Model Folder…"', () => {
  let root: string;
  before(() => {
    root = scratchDir('local-model');
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it('accepts a folder in the Hugging Face ONNX layout, named after the folder, that the engine then opens', async () => {
    const folder = writeFolder(root, 'my-qwen', chatFiles);
    const source = await inspectLocalModelFolder(folder);
    assert.equal(source.kind, 'model');
    assert.ok(source.kind === 'model');
    assert.equal(source.model.folder, folder);
    assert.equal(source.model.name, 'my-qwen');
    assert.equal(source.model.role, 'chat');
    assert.match(source.model.summary, /ONNX engine \(q4\)/);
    assert.equal(openModelFolder(source.model.folder).onnxFiles.q4, join(folder, 'onnx', 'model_q4.onnx'));
  });

  it('tells an embedding model by its sentence-transformers files', async () => {
    const folder = writeFolder(root, 'minilm', { 'config.json': '{}', 'tokenizer.json': tokenizer, 'modules.json': '[]', 'onnx/model.onnx': 'w' });
    const source = await inspectLocalModelFolder(folder);
    assert.ok(source.kind === 'model');
    assert.equal(source.model.role, 'embedding');
  });

  it('names every missing part of a folder that is not a model', async () => {
    const folder = writeFolder(root, 'documents', { 'notes.md': '# notes' });
    await rejectsWith(folder, /is not a model folder: it has no config\.json, no tokenizer\.json, no ONNX weights/);
  });

  it('says that safetensors-only weights need an ONNX export', async () => {
    const folder = writeFolder(root, 'torch-only', { 'config.json': '{}', 'tokenizer.json': tokenizer, 'model.safetensors': 'w' });
    await rejectsWith(folder, /no ONNX weights \(it has safetensors weights only; the built-in engine runs ONNX exports/);
  });

  it('refuses ONNX files the engine would not load (only onnx/model{variant}.onnx or model.onnx)', async () => {
    const folder = writeFolder(root, 'decoder-parts', { 'config.json': '{}', 'tokenizer.json': tokenizer, 'onnx/decoder_model_merged.onnx': 'w' });
    await rejectsWith(folder, /no ONNX weights/);
  });

  it('names config.json when it is not JSON, and when it is not an object', async () => {
    const broken = writeFolder(root, 'broken-config', { ...chatFiles, 'config.json': '{"model_type": ' });
    await rejectsWith(broken, /broken-config\/config\.json is not valid JSON/);
    const list = writeFolder(root, 'list-config', { ...chatFiles, 'config.json': '[1, 2]' });
    await rejectsWith(list, /list-config\/config\.json is not a JSON object/);
  });

  it('refuses a config.json that is a pipe instead of blocking on it', async () => {
    const folder = writeFolder(root, 'fifo-config', { 'tokenizer.json': tokenizer, 'onnx/model.onnx': 'w' });
    execFileSync('mkfifo', [join(folder, 'config.json')]);
    await rejectsWith(folder, /fifo-config\/config\.json is .*not a regular file/);
  });

  it('refuses a file and a path that does not exist, naming them', async () => {
    const file = join(writeFolder(root, 'holder', { 'model.onnx': 'w' }), 'model.onnx');
    await rejectsWith(file, /model\.onnx is a file, not a folder/);
    await rejectsWith(join(root, 'nowhere'), /nowhere cannot be opened/);
  });

  it('takes one repository of a Hugging Face cache (models--org--name) by its newest snapshot and its id', async () => {
    const cache = join(root, 'cache-one');
    const commit = writeCachedModel(cache, 'acme/tiny-chat', chatFiles);
    const source = await inspectLocalModelFolder(join(cache, 'models--acme--tiny-chat'));
    assert.ok(source.kind === 'model');
    assert.equal(source.model.name, 'acme/tiny-chat');
    assert.equal(source.model.folder, join(cache, 'models--acme--tiny-chat', 'snapshots', commit));
  });

  it('lists the runnable models of a whole cache folder and leaves the others out', async () => {
    const cache = join(root, 'cache-many');
    writeCachedModel(cache, 'acme/tiny-chat', chatFiles);
    writeCachedModel(cache, 'acme/embedder', { 'config.json': '{}', 'tokenizer.json': tokenizer, 'modules.json': '[]', 'onnx/model_quantized.onnx': 'w' });
    writeCachedModel(cache, 'acme/gguf-only', { 'model.Q4_K_M.gguf': 'w' });
    const source = await inspectLocalModelFolder(cache);
    assert.ok(source.kind === 'cache');
    assert.deepEqual(
      source.models.map((model) => [model.name, model.role]),
      [
        ['acme/embedder', 'embedding'],
        ['acme/tiny-chat', 'chat'],
      ],
    );
  });

  it('explains a cache folder none of whose models can run', async () => {
    const cache = join(root, 'cache-none');
    writeCachedModel(cache, 'acme/gguf-only', { 'model.Q4_K_M.gguf': 'w' });
    await rejectsWith(cache, /is a Hugging Face cache folder, but none of its models can run in Chatwright's ONNX engine\. acme\/gguf-only: .*no ONNX weights/);
  });
});
