import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { grantedToken, startHubTestEnv, type HubTestEnv } from '../../support/hubTestEnv';
import { runCliCaptured, type CapturedCliRun } from '../../support/cli';

function cli(args: string[], env: NodeJS.ProcessEnv): Promise<CapturedCliRun> {
  return runCliCaptured(args, { env });
}

describe('chatwright models', () => {
  let hub: HubTestEnv;
  before(async () => {
    hub = await startHubTestEnv();
  });
  after(async () => {
    await hub.dispose();
  });

  it('search prints each model with formats, quantizations and what Chatwright can do', async () => {
    const result = await cli(['models', 'search', 'tiny', '--task', 'text-generation', '--format', 'onnx'], hub.env);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /chatwright-test\/tiny-llama-onnx/);
    assert.match(result.stdout, /onnx\(fp32,fp16,q8,int8,q4\)/);
    assert.match(result.stdout, /Chatwright: ONNX engine/);
    assert.doesNotMatch(result.stdout, /safetensors/);
  });

  it('search --json gives machine-readable results', async () => {
    const result = await cli(['models', 'search', '--sort', 'likes', '--limit', '1', '--json'], hub.env);
    const parsed = JSON.parse(result.stdout) as { models: { id: string }[] };
    assert.deepEqual(
      parsed.models.map((m) => m.id),
      ['chatwright-test/tiny-llama-safetensors'],
    );
  });

  it('download, then ls lists it offline with its size and revision', async () => {
    const download = await cli(['models', 'download', 'chatwright-test/tiny-minilm', '--variant', 'q8'], hub.env);
    assert.equal(download.code, 0, download.stderr);
    const folder = download.stdout.trim();
    assert.ok(readFileSync(join(folder, 'onnx', 'model_quantized.onnx')).equals(hub.server.fileOf('chatwright-test/tiny-minilm', 'onnx/model_quantized.onnx').content));
    const before = hub.server.requests.length;
    const ls = await cli(['models', 'ls'], { ...hub.env, HF_HUB_OFFLINE: '1', HF_ENDPOINT: 'http://127.0.0.1:9' });
    assert.equal(ls.code, 0);
    assert.match(ls.stdout, /chatwright-test\/tiny-minilm\s+\d/);
    assert.match(ls.stdout, new RegExp(`${hub.server.commitOf('chatwright-test/tiny-minilm').slice(0, 8)} \\(main\\)`));
    assert.equal(hub.server.requests.length, before, 'ls makes no request');
  });

  it('offline: search and download refuse with a clear message, ls works', async () => {
    const offline = { ...hub.env, HF_HUB_OFFLINE: '1' };
    const search = await cli(['models', 'search', 'x'], offline);
    assert.equal(search.code, 1);
    assert.match(search.stderr, /HF_HUB_OFFLINE is set/);
    const download = await cli(['models', 'download', 'chatwright-test/tiny-gguf'], offline);
    assert.equal(download.code, 1);
  });

  it('fit uses the cached config offline and prints a verdict per scenario', async () => {
    const result = await cli(['models', 'fit', 'chatwright-test/tiny-minilm', '--json'], { ...hub.env, HF_HUB_OFFLINE: '1' });
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as { parametersSource: string; verdicts: { estimate: { variant: string }; fit: string }[] };
    assert.equal(report.parametersSource, 'config.json formula');
    assert.deepEqual(
      report.verdicts.map((v) => v.estimate.variant),
      ['onnx q8', 'fp16/bf16', 'int4'],
    );
    assert.equal(report.verdicts[0]?.fit, 'fits');
  });

  it('fit from the Hub takes the parameter count from the Hub metadata', async () => {
    const result = await cli(['models', 'fit', 'chatwright-test/tiny-llama-safetensors', '--seq', '512'], hub.env);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /140K parameters \(hub metadata\)/);
    assert.match(result.stdout, /train QLoRA r16 nf4, seq 512 × batch 1/);
  });

  it('fit reads the safetensors header with Range requests when the metadata lacks it', async () => {
    hub.server.requests.length = 0;
    const result = await cli(['models', 'fit', 'chatwright-test/gated-llama', '--json'], { ...hub.env, HF_TOKEN: grantedToken });
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as { parameters: number; parametersSource: string };
    assert.equal(report.parametersSource, 'safetensors headers');
    assert.equal(report.parameters, 139_584);
    assert.ok(hub.server.requests.some((r) => r.range === 'bytes=0-7' && r.authorization === `Bearer ${grantedToken}`));
    assert.ok(!hub.server.requests.some((r) => r.url.includes('model.safetensors') && r.range === undefined), 'never the whole file');
  });

  it('download of a gated model without a token says where to request access; exit 1', async () => {
    const result = await cli(['models', 'download', 'chatwright-test/gated-llama', '--runtime', 'python'], hub.env);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /gated/);
    assert.match(result.stderr, new RegExp(`${hub.server.url}/chatwright-test/gated-llama`));
  });

  it('the token is sent but never printed, even with --verbose and on failures', async () => {
    hub.server.requests.length = 0;
    hub.server.cutAfterBytes.set('chatwright-test/gated-llama/model.safetensors', 1000);
    const env = { ...hub.env, HF_TOKEN: grantedToken };
    const ok = await cli(['models', 'download', 'chatwright-test/gated-llama', '--runtime', 'python', '--verbose', '--json'], env);
    assert.equal(ok.code, 0, ok.stderr);
    assert.ok(
      hub.server.requests.some((r) => r.authorization === `Bearer ${grantedToken}`),
      'the token was used',
    );
    const denied = await cli(['models', 'download', 'chatwright-test/private-model', '--verbose'], { ...hub.env, HF_TOKEN: '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' });
    const fit = await cli(['models', 'fit', 'chatwright-test/gated-llama', '--json'], env);
    for (const output of [ok, denied, fit]) {
      assert.ok(!output.stdout.includes(grantedToken) && !output.stderr.includes(grantedToken), 'granted token printed');
      assert.ok(!output.stderr.includes('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') && !output.stdout.includes('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'));
    }
    assert.match(ok.stderr, /resuming|interrupted/);
  });

  it('rm deletes the model from the cache', async () => {
    const result = await cli(['models', 'rm', 'chatwright-test/tiny-minilm'], hub.env);
    assert.equal(result.code, 0, result.stderr);
    const ls = await cli(['models', 'ls', '--json'], hub.env);
    assert.ok(!ls.stdout.includes('tiny-minilm'));
  });

  it('usage errors exit 2', async () => {
    assert.equal((await cli(['models'], hub.env)).code, 2);
    assert.equal((await cli(['models', 'download'], hub.env)).code, 2);
    assert.equal((await cli(['models', 'download', 'a/b', '--runtime', 'gguf'], hub.env)).code, 2);
    assert.equal((await cli(['models', 'search', '--sort', 'random'], hub.env)).code, 2);
  });
});
