import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { selectFiles } from '../../../src/core/hub/fileSelection';
import { type RepoFile } from '../../../src/core/hub/hubClient';
import { redactSecrets } from '../../../src/core/hub/hubErrors';
import { describeModelFiles, modelCapabilities, parseOnnxPath, roleFromFiles } from '../../../src/core/hub/modelFormats';
import { cachedRevisionFor, formatParameters, parseModelRef, parseParameterCount } from '../../../src/core/hub/modelLookup';
import { parseSearchQuery } from '../../../src/core/hub/searchQuery';

const repo = (paths: Record<string, number>): RepoFile[] =>
  Object.entries(paths).map(([path, size]) => ({ path, size, oid: 'a'.repeat(40), lfsSha256: /\.(onnx|onnx_data|safetensors)$/.test(path) ? 'b'.repeat(64) : undefined }));

// The layout of onnx-community/Qwen2.5-0.5B-Instruct (transformers.js export).
const onnxCommunity = repo({
  'config.json': 700,
  'generation_config.json': 200,
  'tokenizer.json': 7_000_000,
  'tokenizer_config.json': 7000,
  'README.md': 900,
  'onnx/model.onnx': 2_000_000_000,
  'onnx/model_fp16.onnx': 990_000_000,
  'onnx/model_int8.onnx': 500_000_000,
  'onnx/model_q4.onnx': 780_000_000,
  'onnx/model_q4f16.onnx': 480_000_000,
  'onnx/model_quantized.onnx': 500_000_000,
  'onnx/model_uint8.onnx': 500_000_000,
  'onnx/model_bnb4.onnx': 800_000_000,
});

describe('what a repository holds and what Chatwright can do with it', () => {
  it('names ONNX variants from the file suffixes', () => {
    assert.deepEqual(parseOnnxPath('onnx/model_q4f16.onnx'), { graph: 'model', variant: 'q4f16' });
    assert.deepEqual(parseOnnxPath('onnx/decoder_model_merged_quantized.onnx'), { graph: 'decoder_model_merged', variant: 'q8' });
    assert.deepEqual(parseOnnxPath('model.onnx'), { graph: 'model', variant: 'fp32' });
    assert.equal(parseOnnxPath('model.safetensors'), undefined);
  });

  it('lists formats, variants and GGUF quantizations', () => {
    const described = describeModelFiles(onnxCommunity.map((f) => f.path));
    assert.deepEqual(described.formats, ['onnx']);
    assert.deepEqual(described.onnxVariants, ['fp32', 'fp16', 'q8', 'int8', 'uint8', 'q4', 'q4f16', 'bnb4']);
    const gguf = describeModelFiles(['qwen2.5-0.5b-instruct-q4_k_m.gguf', 'qwen2.5-0.5b-instruct-q8_0.gguf', 'qwen2.5-0.5b-instruct-fp16.gguf']);
    assert.deepEqual(gguf.ggufQuantizations, ['Q4_K_M', 'Q8_0', 'F16']);
    assert.equal(modelCapabilities(gguf).onnxEngine, false);
    const both = describeModelFiles(['config.json', 'tokenizer.json', 'model.safetensors', 'onnx/model.onnx']);
    assert.match(modelCapabilities(both).summary, /ONNX engine \(fp32\) · Python backend/);
  });

  it('tells embedding models from generative ones by their files', () => {
    assert.equal(roleFromFiles(['config.json', 'modules.json', '1_Pooling/config.json', 'onnx/model.onnx']), 'embedding');
    assert.equal(roleFromFiles(['config.json', 'generation_config.json', 'onnx/model_q4.onnx']), 'chat');
    assert.equal(roleFromFiles(['config.json', 'onnx/model.onnx']), undefined);
  });

  it('selects config, tokenizer and one ONNX variant (q4 by default for decoders on the CPU)', () => {
    const selection = selectFiles(onnxCommunity, 'onnx');
    assert.equal(selection.variant, 'q4');
    assert.equal(selectFiles(onnxCommunity, 'onnx', undefined, 'text-generation').variant, 'q4');
    assert.equal(selectFiles(onnxCommunity, 'onnx', undefined, 'feature-extraction').variant, 'q8');
    assert.deepEqual(selection.files.map((f) => f.path).sort(), ['config.json', 'generation_config.json', 'onnx/model_q4.onnx', 'tokenizer.json', 'tokenizer_config.json']);
    assert.equal(selection.totalBytes, 700 + 200 + 7_000_000 + 7000 + 780_000_000);
  });

  it('takes the chat template files, named ones too, and leaves other folders', () => {
    const withTemplates = [...onnxCommunity, ...repo({ 'chat_template.jinja': 4000, 'additional_chat_templates/tool_use.jinja': 5000, 'extras/notes.jinja': 10 })];
    const paths = selectFiles(withTemplates, 'onnx').files.map((f) => f.path);
    assert.ok(paths.includes('chat_template.jinja') && paths.includes('additional_chat_templates/tool_use.jinja'), paths.join(', '));
    assert.ok(!paths.includes('extras/notes.jinja'));
  });

  it('takes every external-data part with its graph', () => {
    const files = repo({
      'config.json': 1,
      'tokenizer.json': 1,
      'onnx/model_fp16.onnx': 1,
      'onnx/model_fp16.onnx_data': 10,
      'onnx/model_fp16.onnx_data_1': 10,
      'onnx/model.onnx': 5,
      'onnx/model.onnx_data': 20,
    });
    assert.deepEqual(
      selectFiles(files, 'onnx', 'fp16')
        .files.map((f) => f.path)
        .sort(),
      ['config.json', 'onnx/model_fp16.onnx', 'onnx/model_fp16.onnx_data', 'onnx/model_fp16.onnx_data_1', 'tokenizer.json'],
    );
  });

  it('prefers the merged decoder over the separate with/without-past graphs, and keeps the encoder', () => {
    const files = repo({
      'config.json': 1,
      'tokenizer.json': 1,
      'onnx/encoder_model.onnx': 1,
      'onnx/decoder_model.onnx': 1,
      'onnx/decoder_with_past_model.onnx': 1,
      'onnx/decoder_model_merged.onnx': 1,
      'onnx/encoder_model_quantized.onnx': 1,
      'onnx/decoder_model_merged_quantized.onnx': 1,
    });
    assert.deepEqual(
      selectFiles(files, 'onnx', 'fp32')
        .files.map((f) => f.path)
        .sort(),
      ['config.json', 'onnx/decoder_model_merged.onnx', 'onnx/encoder_model.onnx', 'tokenizer.json'],
    );
  });

  it('prefers an 8-bit variant for encoders (embeddings)', () => {
    const files = repo({ 'config.json': 1, 'tokenizer.json': 1, 'onnx/model.onnx': 90, 'onnx/model_quantized.onnx': 23, 'onnx/model_fp16.onnx': 45, '1_Pooling/config.json': 1, 'modules.json': 1 });
    const selection = selectFiles(files, 'onnx');
    assert.equal(selection.variant, 'q8');
    assert.ok(
      selection.files.some((f) => f.path === '1_Pooling/config.json'),
      'sentence-transformers pooling comes along',
    );
  });

  it('explains what is missing instead of downloading nothing', () => {
    assert.throws(() => selectFiles(repo({ 'config.json': 1, 'model.safetensors': 1 }), 'onnx'), /no ONNX weights/);
    assert.throws(() => selectFiles(repo({ 'onnx/model.onnx': 1 }), 'onnx', 'q4'), /No 'q4' ONNX variant here; available: fp32/);
    assert.throws(() => selectFiles(onnxCommunity, 'python'), /no safetensors or PyTorch weights/);
  });

  it('selects shards and the index for the Python backend, PyTorch .bin only when there are no safetensors', () => {
    const sharded = repo({
      'config.json': 1,
      'model-00001-of-00002.safetensors': 5,
      'model-00002-of-00002.safetensors': 5,
      'model.safetensors.index.json': 1,
      'pytorch_model.bin': 10,
      'onnx/model.onnx': 3,
      'original/consolidated.00.pth': 9,
    });
    assert.deepEqual(
      selectFiles(sharded, 'python')
        .files.map((f) => f.path)
        .sort(),
      ['config.json', 'model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors', 'model.safetensors.index.json'],
    );
    assert.deepEqual(
      selectFiles(repo({ 'config.json': 1, 'pytorch_model.bin': 10 }), 'python')
        .files.map((f) => f.path)
        .sort(),
      ['config.json', 'pytorch_model.bin'],
    );
  });
});

describe('the search box language and model references', () => {
  it('parses filters and keeps the rest as search words', () => {
    assert.deepEqual(parseSearchQuery('qwen instruct task:text-generation format:onnx license:apache-2.0 sort:likes max:3B min:100M author:Qwen'), {
      limit: 40,
      text: 'qwen instruct',
      task: 'text-generation',
      format: 'onnx',
      license: 'apache-2.0',
      sort: 'likes',
      maxParameters: 3e9,
      minParameters: 1e8,
      author: 'Qwen',
    });
    assert.deepEqual(parseSearchQuery('format:exe http://x'), { limit: 40, text: 'format:exe http://x' });
  });

  it('parses model references and parameter counts', () => {
    assert.deepEqual(parseModelRef('org/name@v1.0'), { repoId: 'org/name', revision: 'v1.0' });
    assert.deepEqual(parseModelRef('org/name'), { repoId: 'org/name', revision: 'main' });
    assert.equal(parseParameterCount('1.5B'), 1.5e9);
    assert.throws(() => parseParameterCount('lots'), /not a parameter count/);
    assert.equal(formatParameters(1_235_814_400), '1.2B');
    assert.equal(formatParameters(22_713_216), '22.7M');
    assert.equal(formatParameters(undefined), '?');
  });

  it('finds a cached revision by ref, by (abbreviated) commit, else the newest for main', () => {
    const model = {
      repoId: 'o/n',
      folder: '/x',
      refs: { main: 'b'.repeat(40) },
      revisions: [
        { commit: 'a'.repeat(40), refs: [], folder: '/a', files: [], size: 0, lastModified: new Date(2) },
        { commit: 'b'.repeat(40), refs: ['main'], folder: '/b', files: [], size: 0, lastModified: new Date(1) },
      ],
      sizeOnDisk: 0,
      incompleteBytes: 0,
      lastModified: new Date(2),
      warnings: [],
    };
    assert.equal(cachedRevisionFor(model, 'main')?.folder, '/b');
    assert.equal(cachedRevisionFor(model, 'aaaaaaa')?.folder, '/a');
    assert.equal(cachedRevisionFor(model, 'v2'), undefined);
  });

  it('redacts tokens from any text bound for a log', () => {
    const token = 'hf_abcdefghijklmnopqrstuvwxyz123456';
    assert.equal(redactSecrets(`GET with ${token} failed`, [token]), 'GET with hf_*** failed');
    assert.equal(redactSecrets('Authorization: Bearer secret-enterprise-token', []), 'Authorization: Bearer ***');
    assert.equal(redactSecrets('stray hf_ZZZZZZZZZZZZZZZZZZZZZZZZZZ token', []), 'stray hf_*** token');
  });
});
