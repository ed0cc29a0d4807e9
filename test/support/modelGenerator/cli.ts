// Writes a generated test model: node --import tsx test/support/modelGenerator/cli.ts <encoder|decoder> <dir> [json options]
import { generateDecoderModel, generateEncoderModel } from './index';

const [kind, dir, json] = process.argv.slice(2);
if ((kind !== 'encoder' && kind !== 'decoder') || !dir) {
  console.error('usage: cli.ts <encoder|decoder> <dir> [\'{"formats":["fp32","q8"],...}\']');
  process.exit(2);
}
const options = json ? (JSON.parse(json) as object) : {};
const started = Date.now();
const model = kind === 'encoder' ? generateEncoderModel(dir, options) : generateDecoderModel(dir, options);
console.log(`${kind} written to ${dir} in ${Date.now() - started} ms: ${model.files.join(', ')} (${(model.parameters / 1e6).toFixed(2)}M parameters)`);
