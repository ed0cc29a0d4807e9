import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { InferenceEngine } from '../../core/inference/inferenceEngine';
import { ExitCode, UsageError, type CliCommand } from '../io';
import { engineArgOptions, engineSettings, engineUsage, integer, modelArgs } from './engineOptions';

export const embedCommand: CliCommand = {
  name: 'embed',
  summary: 'Embed lines of stdin with a local ONNX model: one JSON vector per line on stdout',
  usage: `chatwright embed --model <id|path> [options] < lines.txt > vectors.jsonl

Reads texts from stdin, one per line, and writes one JSON array of numbers per line to stdout, in the same order
(an empty line gives the vector of an empty text). Statistics go to stderr.

Options:
${engineUsage}
  --role <r>             document (default) or query: models such as E5, BGE and Nomic prefix them differently
  --batch <n>            lines embedded together (default 256)
  --precision <digits>   significant digits per number (default: full float32)`,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { ...engineArgOptions, role: { type: 'string', default: 'document' }, batch: { type: 'string', default: '256' }, precision: { type: 'string' } },
    });
    if (positionals.length > 0) throw new UsageError(`embed reads texts from stdin; unexpected argument '${positionals[0]}'`);
    const { model, dtype } = modelArgs(values, io.cwd);
    const role = values.role;
    if (role !== 'document' && role !== 'query') throw new UsageError(`--role must be document or query, not '${role}'`);
    const batchSize = integer('--batch', values.batch, 1);
    const precision = values.precision === undefined ? undefined : integer('--precision', values.precision, 1);
    const format = (value: number): string => (precision === undefined ? String(value) : String(Number(value.toPrecision(precision))));
    const engine = new InferenceEngine(engineSettings(values), {}, io.env);
    try {
      const embedder = await engine.embedder(model, dtype);
      if (embedder.fallbackReason) io.stderr.write(`${embedder.fallbackReason}\n`);
      const started = performance.now();
      let count = 0;
      let batch: string[] = [];
      const flush = async (): Promise<void> => {
        if (batch.length === 0) return;
        const vectors = await embedder.embed(batch, role);
        io.stdout.write(vectors.map((vector) => `[${Array.from(vector, format).join(',')}]\n`).join(''));
        count += batch.length;
        batch = [];
      };
      for await (const line of createInterface({ input: io.stdin, crlfDelay: Infinity })) {
        batch.push(line);
        if (batch.length >= batchSize) await flush();
      }
      await flush();
      const seconds = (performance.now() - started) / 1000;
      io.stderr.write(
        `${count} text(s) embedded with ${embedder.modelKey} (${embedder.dimensions} dimensions, ${embedder.provider.toUpperCase()}) in ${seconds.toFixed(2)} s: ${(count / Math.max(seconds, 1e-9)).toFixed(1)} embeddings/s\n`,
      );
      return ExitCode.ok;
    } finally {
      await engine.dispose();
    }
  },
};
