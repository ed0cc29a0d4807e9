import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { onnx } from 'onnx-proto';
import { embeddingRecipe } from '../../../src/core/inference/embeddingConfig';
import { InferenceEngine } from '../../../src/core/inference/inferenceEngine';
import { configNumber, ModelError, openModelFolder } from '../../../src/core/inference/modelFolder';
import { openOnnxSession } from '../../../src/core/inference/onnxSession';
import { runTypeScriptChild } from '../../support/childRun';
import { scratchDir } from '../../support/scratchDir';
import { encoderModel } from '../../support/testModels';

/** A test must end well within this: before the files were checked, a pipe hung the loader forever. */
const fast = { timeout: 15_000 };

/** A working model folder (a tiny generated encoder), changed by `tamper`. */
function tamperedModel(tamper: (dir: string) => void): string {
  const dir = encoderModel();
  tamper(dir);
  return dir;
}

function replaceWithLink(file: string, target: string): void {
  rmSync(file);
  symlinkSync(target, file);
}

function replaceWithFifo(file: string): void {
  rmSync(file, { force: true });
  execFileSync('mkfifo', [file]);
}

function modelError(pattern: RegExp, file: string): (error: unknown) => boolean {
  return (error) => {
    assert.ok(error instanceof ModelError, `expected a ModelError, got ${String(error)}`);
    assert.match(error.message, pattern);
    assert.equal(error.file, file);
    return true;
  };
}

describe('model folders: files that are not what they claim', () => {
  it('refuses a config.json linked to /dev/zero, at once and without reading it', fast, () => {
    const dir = tamperedModel((folder) => {
      replaceWithLink(join(folder, 'config.json'), '/dev/zero');
      replaceWithFifo(join(folder, 'tokenizer.json'));
    });
    const before = process.memoryUsage().arrayBuffers;
    assert.throws(() => openModelFolder(dir), modelError(/config\.json is a device, not a regular file/, join(dir, 'config.json')));
    assert.ok(process.memoryUsage().arrayBuffers - before < 64 << 20, 'no large allocation');
  });

  it('refuses a tokenizer.json that is a named pipe instead of waiting for a writer', fast, () => {
    const dir = tamperedModel((folder) => replaceWithFifo(join(folder, 'tokenizer.json')));
    assert.throws(() => openModelFolder(dir), modelError(/tokenizer\.json is a named pipe, not a regular file/, join(dir, 'tokenizer.json')));
  });

  it('fails an engine load at once with the same error (a pipe for tokenizer.json, a device for config.json)', fast, async () => {
    const dir = tamperedModel((folder) => {
      replaceWithLink(join(folder, 'config.json'), '/dev/zero');
      replaceWithFifo(join(folder, 'tokenizer.json'));
    });
    const engine = new InferenceEngine({ executionProvider: 'cpu', threads: 1, idleUnloadMs: 0 });
    try {
      await assert.rejects(engine.embed(dir, ['hello'], 'query'), modelError(/config\.json is a device, not a regular file/, join(dir, 'config.json')));
      rmSync(join(dir, 'config.json'));
      writeFileSync(join(dir, 'config.json'), JSON.stringify({ model_type: 'bert' }));
      await assert.rejects(engine.countTokens(dir, ['hello']), modelError(/tokenizer\.json is a named pipe, not a regular file/, join(dir, 'tokenizer.json')));
    } finally {
      await engine.dispose();
    }
  });

  it('refuses an oversized tokenizer_config.json, naming its size and the limit', fast, () => {
    // Sparse: 33 MiB on paper, nothing on disk; refused from its size before any byte is read.
    const dir = tamperedModel((folder) => truncateSync(join(folder, 'tokenizer_config.json'), 33 << 20));
    assert.throws(() => openModelFolder(dir), modelError(/tokenizer_config\.json is 33 MiB, over the limit of 32 MiB/, join(dir, 'tokenizer_config.json')));
  });

  it('refuses a chat_template.jinja that is a named pipe', fast, () => {
    const dir = tamperedModel((folder) => {
      writeFileSync(join(folder, 'tokenizer_config.json'), '{}');
      replaceWithFifo(join(folder, 'chat_template.jinja'));
    });
    assert.throws(() => openModelFolder(dir), modelError(/chat_template\.jinja is a named pipe/, join(dir, 'chat_template.jinja')));
  });

  it('still treats an absent optional file as absent', () => {
    const dir = tamperedModel((folder) => rmSync(join(folder, 'tokenizer_config.json')));
    assert.deepEqual(openModelFolder(dir).tokenizerConfig, {});
  });

  it('reads a nested text_config to a bounded depth (a config nested thousands of times does not overflow the stack)', () => {
    let config: Record<string, unknown> = { vocab_size: 7 };
    assert.equal(configNumber({ text_config: config }, 'vocab_size'), 7);
    for (let i = 0; i < 200_000; i++) config = { text_config: config };
    assert.equal(configNumber(config, 'vocab_size'), undefined);
  });
});

describe('sentence-transformers files of an embedding model', () => {
  it('refuses a modules.json that is a named pipe', fast, () => {
    const dir = tamperedModel((folder) => replaceWithFifo(join(folder, 'modules.json')));
    const model = openModelFolder(dir);
    assert.throws(() => embeddingRecipe(model), modelError(/modules\.json is a named pipe/, join(dir, 'modules.json')));
  });

  it('refuses a pooling module path that leaves the model folder', () => {
    const dir = tamperedModel((folder) => writeFileSync(join(folder, 'modules.json'), JSON.stringify([{ type: 'sentence_transformers.models.Pooling', path: '../../../../etc' }])));
    assert.throws(() => embeddingRecipe(openModelFolder(dir)), modelError(/module path "\.\.\/\.\.\/\.\.\/\.\.\/etc" is not a folder inside the model folder/, join(dir, 'modules.json')));
  });

  it('reads the pooling config of a module folder inside the model', () => {
    const dir = tamperedModel((folder) => {
      writeFileSync(join(folder, 'modules.json'), JSON.stringify([{ type: 'sentence_transformers.models.Pooling', path: 'pool' }]));
      mkdirSync(join(folder, 'pool'));
      writeFileSync(join(folder, 'pool', 'config.json'), JSON.stringify({ pooling_mode_cls_token: true }));
    });
    assert.equal(embeddingRecipe(openModelFolder(dir)).pooling, 'cls');
  });
});

/** y = x + w, where w's four floats are external data at `location`. */
function externalDataModel(location: string): Uint8Array {
  const vector = { tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: [{ dimValue: 4 }] } } };
  return onnx.ModelProto.encode({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 17 }],
    graph: {
      name: 'external',
      node: [{ opType: 'Add', input: ['x', 'w'], output: ['y'], name: 'add' }],
      initializer: [
        {
          name: 'w',
          dataType: onnx.TensorProto.DataType.FLOAT,
          dims: [4],
          dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
          externalData: [
            { key: 'location', value: location },
            { key: 'offset', value: '0' },
            { key: 'length', value: '16' },
          ],
        },
      ],
      input: [{ name: 'x', type: vector }],
      output: [{ name: 'y', type: vector }],
    },
  }).finish();
}

describe('ONNX files and their external data', () => {
  const root = scratchDir('onnx-external');
  const folder = join(root, 'model');
  const weights = Buffer.from(new Float32Array([1, 2, 3, 4]).buffer);
  mkdirSync(folder);
  writeFileSync(join(root, 'outside.bin'), weights);
  writeFileSync(join(folder, 'weights.bin'), weights);
  symlinkSync(join(root, 'outside.bin'), join(folder, 'linked-out.bin'));
  symlinkSync('/dev/zero', join(folder, 'zero.bin'));
  execFileSync('mkfifo', [join(folder, 'pipe.bin')]);

  function modelWithData(name: string, location: string): string {
    const file = join(folder, `${name}.onnx`);
    writeFileSync(file, externalDataModel(location));
    return file;
  }

  it('loads a model whose external data is a file beside it', async () => {
    const { session } = await openOnnxSession(modelWithData('inside', 'weights.bin'));
    const ort = await import('onnxruntime-node');
    const { y } = await session.run({ x: new ort.Tensor('float32', new Float32Array(4), [4]) });
    assert.deepEqual(Array.from(y!.data as Float32Array), [1, 2, 3, 4]);
    await session.release();
  });

  // onnxruntime checks external data paths itself; these hold it to that, so an upgrade that stopped would be seen.
  const refused: [string, string, RegExp][] = [
    ['a parent folder', '../outside.bin', /escapes model directory/],
    ['an absolute path', join(root, 'outside.bin'), /Absolute path not allowed/],
    ['a link leading out of the folder', 'linked-out.bin', /escapes model directory/],
    ['a link to /dev/zero', 'zero.bin', /escapes model directory/],
    ['an absolute device path', '/dev/zero', /Absolute path not allowed/],
  ];
  for (const [what, location, reason] of refused) {
    it(`refuses external data at ${what}`, fast, async () => {
      const file = modelWithData(`data-${location.replace(/\W/g, '_')}`, location);
      await assert.rejects(openOnnxSession(file), modelError(reason, file));
    });
  }

  it('refuses external data at a named pipe', { timeout: 60_000 }, async () => {
    const file = modelWithData('data-pipe_bin', 'pipe.bin');
    // In a child process: onnxruntime also logs this refusal from C++ straight to stderr, which is captured here.
    const run = await runTypeScriptChild('onnx-external-data-pipe', join(__dirname, '..', '..', 'support', 'children', 'openSession.ts'), [file, 'cpu']);
    assert.equal(run.status, 0, run.stderr);
    const { error } = JSON.parse(run.stdout) as { error?: { isModelError: boolean; message: string; file?: string } };
    assert.ok(error?.isModelError, `expected a ModelError, got ${run.stdout}`);
    assert.match(error.message, /cannot get file size/);
    assert.equal(error.file, file);
    assert.match(run.stderr, /cannot get file size.*pipe\.bin/);
  });

  it('refuses an .onnx file that is a named pipe, which onnxruntime would wait on forever', fast, async () => {
    const file = join(folder, 'model.onnx');
    execFileSync('mkfifo', [file]);
    await assert.rejects(openOnnxSession(file), modelError(/ONNX model .*model\.onnx is a named pipe, not a regular file/, file));
  });

  it('refuses an .onnx file linked to a device', fast, async () => {
    const file = join(folder, 'device.onnx');
    symlinkSync('/dev/zero', file);
    await assert.rejects(openOnnxSession(file), modelError(/device\.onnx is a device, not a regular file/, file));
  });
});
