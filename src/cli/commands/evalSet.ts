import { existsSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readBoundedFile } from '../../core/files/boundedRead';
import { escapeFileName } from '../../core/files/fileNames';
import { EvalSliceError, sliceEvalSet, type EvalSliceSize } from '../../core/eval/evalSetSlice';
import { ExitCode, UsageError, type CliCommand } from '../io';

/** The dataset's file name without `.jsonl`: `data/train.jsonl` → `train`. */
function datasetStem(file: string): string {
  return basename(file).replace(/\.jsonl$/i, '');
}

function sliceSize(count: string | undefined, fraction: string | undefined): EvalSliceSize {
  if ((count === undefined) === (fraction === undefined)) throw new UsageError('eval-set needs exactly one of --count N or --fraction F');
  if (count !== undefined) {
    const value = Number(count);
    if (!Number.isInteger(value) || value < 1) throw new UsageError(`--count needs a whole number of at least 1, got '${count}'`);
    return { count: value };
  }
  const value = Number(fraction);
  if (!(value > 0 && value < 1)) throw new UsageError(`--fraction needs a number between 0 and 1, got '${fraction}'`);
  return { fraction: value };
}

export const evalSetCommand: CliCommand = {
  name: 'eval-set',
  summary: 'Hold out a slice of a dataset as an eval set, and write the rest as the training file',
  usage: `chatwright eval-set <dataset.jsonl> (--count N | --fraction F) [--random [--seed S]] [--out <file>] [--rest <file>]

Takes N rows (or a fraction F) of a JSON Lines dataset (messages, prompt/completion, Alpaca, ShareGPT or eval rows)
as an eval set of {question, answer, id} rows ({messages, id} for multi-turn conversations; the id is
<dataset file>:<line>), and writes every other line, unchanged, to a rest file. Train on the rest file: a model
evaluated on rows it trained on looks better than it is.

Options:
  --count <n>       hold out n rows
  --fraction <f>    hold out this share of the rows (0 < f < 1)
  --random          a seeded random sample (default: the last rows of the file)
  --seed <s>        the seed for --random (default 0)
  --out <file>      the eval set (default <name>.eval.jsonl beside the dataset)
  --rest <file>     the training rows not held out (default <name>.heldout-train.jsonl beside the dataset)

Never overwrites a file: exits 2 if either exists. Exit code 0 written, 2 usage or I/O error.`,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        count: { type: 'string' },
        fraction: { type: 'string' },
        random: { type: 'boolean', default: false },
        seed: { type: 'string' },
        out: { type: 'string' },
        rest: { type: 'string' },
      },
    });
    if (positionals.length !== 1) throw new UsageError('eval-set needs one dataset file');
    const size = sliceSize(values.count, values.fraction);
    if (values.seed !== undefined && !values.random) throw new UsageError('--seed only applies with --random');
    const seed = values.seed === undefined ? 0 : Number(values.seed);
    if (!Number.isInteger(seed) || seed < 0) throw new UsageError(`--seed needs a whole number of at least 0, got '${values.seed}'`);
    const dataset = resolve(io.cwd, positionals[0]!);
    const stem = datasetStem(dataset);
    const outFile = resolve(io.cwd, values.out ?? join(dirname(dataset), `${stem}.eval.jsonl`));
    const restFile = resolve(io.cwd, values.rest ?? join(dirname(dataset), `${stem}.heldout-train.jsonl`));
    const shown = (file: string): string => escapeFileName(relative(io.cwd, file) || file);
    if (outFile === restFile || outFile === dataset || restFile === dataset) throw new UsageError('the dataset, --out and --rest must be three different files');

    for (const [file, flag] of [
      [outFile, '--out'],
      [restFile, '--rest'],
    ] as const) {
      if (existsSync(file)) {
        io.stderr.write(`${shown(file)} already exists; not overwriting it. Move it away or name another file with ${flag}.\n`);
        return ExitCode.usage;
      }
    }
    let text: string;
    try {
      text = (await readBoundedFile(dataset, { kind: 'dataset' })).toString('utf8');
    } catch (error) {
      io.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      return ExitCode.usage;
    }
    let slice;
    try {
      slice = sliceEvalSet(text, { size, selection: values.random ? 'random' : 'last', seed, fileName: basename(dataset) });
    } catch (error) {
      if (!(error instanceof EvalSliceError)) throw error;
      io.stderr.write(`${shown(dataset)}: ${error.message}\n`);
      return ExitCode.usage;
    }
    // 'wx' fails if the file exists (also one made since the check): nothing the user wrote is overwritten.
    const written: string[] = [];
    for (const [file, rows] of [
      [outFile, slice.evalRows],
      [restFile, slice.restRows],
    ] as const) {
      try {
        writeFileSync(file, rows.map((row) => `${row}\n`).join(''), { flag: 'wx' });
        written.push(file);
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        io.stderr.write(
          code === 'EEXIST'
            ? `${shown(file)} already exists; not overwriting it. Move it away or name another file with ${file === outFile ? '--out' : '--rest'}.\n`
            : `cannot write ${shown(file)}: ${error instanceof Error ? error.message : String(error)}\n`,
        );
        if (written.length > 0) io.stderr.write(`${shown(written[0]!)} was written; delete it before trying again.\n`);
        return ExitCode.usage;
      }
    }
    for (const item of slice.skipped.slice(0, 20)) io.stderr.write(`${shown(dataset)}:${item.line}: skipped (kept for training): ${item.reason}\n`);
    if (slice.skipped.length > 20) io.stderr.write(`… and ${slice.skipped.length - 20} more lines skipped.\n`);
    io.stdout.write(`Wrote ${slice.evalRows.length} eval row(s) to ${shown(outFile)} and the other ${slice.restRows.length} row(s) to ${shown(restFile)}.\n`);
    io.stdout.write(`Train on ${shown(restFile)}, not on ${shown(dataset)}: set the job's data.train to it (and data.eval to ${shown(outFile)}), or the model trains on the eval questions.\n`);
    return ExitCode.ok;
  },
};
