import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { getModelDetails, hubConnection, searchModels } from '../../../src/core/hub/hubClient';
import { HubAccessError, HubNotFoundError, HubOfflineError } from '../../../src/core/hub/hubErrors';
import { deniedToken, grantedToken, startHubTestEnv, type HubTestEnv } from '../../support/hubTestEnv';

describe('searching the Hub (local test server through HF_ENDPOINT)', () => {
  let hub: HubTestEnv;
  before(async () => {
    hub = await startHubTestEnv();
  });
  after(async () => {
    await hub.dispose();
  });

  it('finds models by text, sorted by downloads, following the Link pagination', async () => {
    const results = await searchModels(hub.connection(), { text: 'chatwright-test', limit: 50 });
    // Six public fixtures minus the private one; the server pages by 4, so this needs two requests.
    assert.deepEqual(
      results.map((r) => r.id),
      ['chatwright-test/tiny-minilm', 'chatwright-test/tiny-llama-onnx', 'chatwright-test/tiny-llama-safetensors', 'chatwright-test/gated-llama', 'chatwright-test/tiny-gguf'],
    );
  });

  it('filters by task, format and licence', async () => {
    const embedders = await searchModels(hub.connection(), { task: 'feature-extraction' });
    assert.deepEqual(
      embedders.map((r) => r.id),
      ['chatwright-test/tiny-minilm'],
    );
    const onnxGenerators = await searchModels(hub.connection(), { task: 'text-generation', format: 'onnx' });
    assert.deepEqual(
      onnxGenerators.map((r) => r.id),
      ['chatwright-test/tiny-llama-onnx'],
    );
    const gguf = await searchModels(hub.connection(), { format: 'gguf' });
    assert.deepEqual(
      gguf.map((r) => r.id),
      ['chatwright-test/tiny-gguf'],
    );
    const mit = await searchModels(hub.connection(), { license: 'mit' });
    assert.deepEqual(mit.map((r) => r.id).sort(), ['chatwright-test/tiny-gguf', 'chatwright-test/tiny-minilm']);
  });

  it('sorts by likes and by recency', async () => {
    const byLikes = await searchModels(hub.connection(), { sort: 'likes', limit: 2 });
    assert.deepEqual(
      byLikes.map((r) => r.id),
      ['chatwright-test/tiny-llama-safetensors', 'chatwright-test/tiny-minilm'],
    );
    const recent = await searchModels(hub.connection(), { sort: 'lastModified', limit: 1 });
    assert.deepEqual(
      recent.map((r) => r.id),
      ['chatwright-test/tiny-gguf'],
    );
  });

  it('filters by parameter count and keeps models whose size is unknown', async () => {
    const small = await searchModels(hub.connection(), { maxParameters: 100_000 });
    assert.ok(small.some((r) => r.id === 'chatwright-test/tiny-llama-onnx'));
    assert.ok(!small.some((r) => r.id === 'chatwright-test/tiny-llama-safetensors'), 'the 139,584-parameter safetensors model is filtered out');
    assert.ok(
      small.some((r) => r.id === 'chatwright-test/tiny-minilm'),
      'size unknown: kept',
    );
  });

  it('describes each result: licence, languages, formats, quantizations, gated, what Chatwright can do', async () => {
    const [onnx] = await searchModels(hub.connection(), { text: 'tiny-llama-onnx' });
    assert.ok(onnx);
    assert.equal(onnx.license, 'apache-2.0');
    assert.deepEqual(onnx.languages, ['en']);
    assert.deepEqual(onnx.files.formats, ['onnx']);
    assert.deepEqual(onnx.files.onnxVariants, ['fp32', 'fp16', 'q8', 'int8', 'q4']);
    assert.equal(onnx.capabilities.onnxEngine, true);
    assert.equal(onnx.capabilities.pythonBackend, false);
    assert.equal(onnx.parameters, 57_344);
    const [gated] = await searchModels(hub.connection(), { text: 'gated-llama' });
    assert.equal(gated?.gated, 'manual');
    assert.equal(gated?.capabilities.pythonBackend, true);
    const [gguf] = await searchModels(hub.connection(), { text: 'tiny-gguf' });
    assert.deepEqual(gguf?.files.ggufQuantizations, ['Q4_K_M', 'Q8_0']);
    assert.match(gguf?.capabilities.summary ?? '', /GGUF only/);
  });

  it('gets a model at a revision with its file tree and LFS checksums', async () => {
    const details = await getModelDetails(hub.connection(), 'chatwright-test/tiny-llama-onnx');
    assert.equal(details.commit, hub.server.commitOf('chatwright-test/tiny-llama-onnx'));
    const q4 = details.repoFiles.find((file) => file.path === 'onnx/model_q4.onnx');
    assert.equal(q4?.lfsSha256, hub.server.fileOf('chatwright-test/tiny-llama-onnx', 'onnx/model_q4.onnx').sha256);
    assert.equal(q4?.size, hub.server.fileOf('chatwright-test/tiny-llama-onnx', 'onnx/model_q4.onnx').size);
    const config = details.repoFiles.find((file) => file.path === 'config.json');
    assert.equal(config?.lfsSha256, undefined);
    assert.equal(config?.oid, hub.server.fileOf('chatwright-test/tiny-llama-onnx', 'config.json').gitSha1);
  });

  it('private models: 401 without a token, readable with a granted one, not found with another', async () => {
    await assert.rejects(getModelDetails(hub.connection(), 'chatwright-test/private-model'), HubAccessError);
    const details = await getModelDetails(hub.connection(grantedToken), 'chatwright-test/private-model');
    assert.equal(details.private, true);
    await assert.rejects(getModelDetails(hub.connection(deniedToken), 'chatwright-test/private-model'), HubNotFoundError);
  });

  it('unknown models: a not-found error that names the id', async () => {
    await assert.rejects(getModelDetails(hub.connection(), 'nobody/nothing'), /'nobody\/nothing' was not found/);
  });

  it('honours HF_HUB_OFFLINE: no request at all', async () => {
    const before = hub.server.requests.length;
    const offline = hubConnection({ ...hub.env, HF_HUB_OFFLINE: '1' });
    await assert.rejects(searchModels(offline, { text: 'x' }), HubOfflineError);
    await assert.rejects(getModelDetails(offline, 'chatwright-test/tiny-minilm'), HubOfflineError);
    assert.equal(hub.server.requests.length, before);
  });

  it('sends the token as a bearer header, also when it does not start with hf_', async () => {
    hub.server.requests.length = 0;
    await searchModels(hub.connection('enterprise-token-123'), { limit: 1 });
    assert.equal(hub.server.requests[0]?.authorization, 'Bearer enterprise-token-123');
  });

  it('reports an unreachable hub with the endpoint and what to do', async () => {
    const unreachable = hubConnection({ HF_ENDPOINT: 'http://127.0.0.1:9' });
    await assert.rejects(searchModels(unreachable, { text: 'x' }), /Cannot reach the Hub at http:\/\/127\.0\.0\.1:9/);
  });
});
