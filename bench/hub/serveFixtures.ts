// Runs the local Hub test server in its own process (so the client under test does not share its event loop) with
// the benchmark's models: `big/onnx-model` (large external-data file) and N small search fixtures. Prints the URL.
import { randomBytes } from 'node:crypto';
import { type FixtureModel, startHubServer } from '../../test/support/hubServer';

const megabytes = Number(process.argv[2] ?? 256);
const searchModels = Number(process.argv[3] ?? 500);
const models: FixtureModel[] = [
  {
    id: 'bench/onnx-model',
    files: [
      { path: 'config.json', content: Buffer.from(JSON.stringify({ model_type: 'llama', hidden_size: 2048, num_hidden_layers: 16, num_attention_heads: 32 })) },
      { path: 'tokenizer.json', content: randomBytes(2_000_000) },
      { path: 'tokenizer_config.json', content: Buffer.from('{}') },
      { path: 'onnx/model_q4.onnx', content: randomBytes(Math.round(megabytes * 0.1 * 1e6)) },
      { path: 'onnx/model_q4.onnx_data', content: randomBytes(Math.round(megabytes * 0.6 * 1e6)) },
      { path: 'onnx/model_q4.onnx_data_1', content: randomBytes(Math.round(megabytes * 0.3 * 1e6)) },
    ],
    pipelineTag: 'text-generation',
    tags: ['onnx'],
  },
];
const tasks = ['text-generation', 'feature-extraction', 'sentence-similarity', 'text-classification'];
for (let i = 0; i < searchModels; i++) {
  models.push({
    id: `org${i % 37}/model-${i}-${tasks[i % tasks.length]}`,
    files: [
      { path: 'config.json', content: Buffer.from('{}') },
      { path: `onnx/model${i % 2 ? '_q4' : ''}.onnx`, content: Buffer.alloc(16) },
    ],
    pipelineTag: tasks[i % tasks.length] ?? 'text-generation',
    tags: i % 2 ? ['onnx'] : ['safetensors'],
    license: i % 3 ? 'apache-2.0' : 'mit',
    downloads: (i * 7919) % 100_000,
    likes: i % 500,
  });
}
void startHubServer({ models, pageSize: 1000 }).then((server) => {
  process.stdout.write(`${server.url}\n`);
});
