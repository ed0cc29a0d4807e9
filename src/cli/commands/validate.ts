import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { countBySeverity, type DatasetStats } from '../../core/datasets/datasetScan';
import { validateDatasetFile } from '../../core/datasets/fileValidation';
import { type DatasetFinding } from '../../core/datasets/findings';
import { datasetFormats, isDatasetFormat, type DatasetFormat } from '../../core/datasets/formats';
import { findSiblingSplits } from '../../core/datasets/splits';
import { isPromptTemplatePath, validatePromptTemplateFile } from '../../core/prompts/promptyFile';
import { describeFileNameError, escapeControlCharacters, escapeFileName } from '../../core/files/fileNames';
import { ExitCode, UsageError, type CliCommand } from '../io';

const formatList = Object.keys(datasetFormats).join(', ');

function positiveInteger(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number <= 0) throw new UsageError(`${flag} needs a positive whole number, got '${value}'`);
  return number;
}

interface JsonFinding {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  severity: DatasetFinding['severity'];
  code: string;
  message: string;
  relatedLine?: number;
  relatedFile?: string;
}

function describeFile(file: string, stats: DatasetStats): string {
  // `file` is already escaped for line output.
  const formats =
    (Object.entries(stats.formats) as [DatasetFormat, number][]).map(([format, count]) => `${count} ${format}`).join(', ') || (stats.trainingData ? 'no recognised rows' : 'not training data');
  const totals = countBySeverity(stats);
  const tokens = stats.tokens.rows > 0 ? `, ${stats.tokens.total} tokens (max ${stats.tokens.max} per row)` : '';
  return `${file}: ${stats.lines} lines (${formats})${tokens}: ${totals.error} error(s), ${totals.warning} warning(s), ${totals.information} note(s)`;
}

export const validateCommand: CliCommand = {
  name: 'validate',
  summary: 'Check fine-tuning datasets (JSON Lines) and prompt templates (.prompty); report problems as file:line:col',
  usage: `chatwright validate <files…> [options]

Checks each JSON Lines dataset (OpenAI chat messages, TRL prompt/completion, text, preference, Alpaca, ShareGPT,
Axolotl segments; detected per row) and prints one line per problem:
  file:line:col: severity code message
then a summary per file on stderr. Prompt templates (.prompty) get the editor's template checks. Files of any size are streamed, on all cores.
Exit code: 0 clean (warnings allowed), 1 problems at error level, 2 usage or I/O error. Each check's severity
and the evidence for it: docs/dataset-checks.md.

Options:
  --format <name>       check every row as this format (${formatList})
  --max-tokens <n>      warn for rows over n tokens (counts tokens; default tokenizer: Qwen3); without it,
                        rows over Qwen3's native context (32,768 tokens) are still flagged
  --tokenizer <path>    count tokens with this tokenizer.json (or a folder holding one)
  --json                print the findings and stats as one JSON document instead
  --max-findings <n>    list at most n findings of each code per file (default 1000; all are counted)
  --threads <n>         worker threads (default: the number of cores)
  --no-splits           do not compare with sibling splits (train/valid/test files beside each file)`,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        format: { type: 'string' },
        'max-tokens': { type: 'string' },
        tokenizer: { type: 'string' },
        'max-findings': { type: 'string' },
        threads: { type: 'string' },
        'no-splits': { type: 'boolean', default: false },
      },
    });
    if (positionals.length === 0) throw new UsageError('validate needs at least one file');
    if (values.format !== undefined && !isDatasetFormat(values.format)) throw new UsageError(`unknown --format '${values.format}'; use one of ${formatList}`);
    const format = values.format;
    const maxTokens = positiveInteger(values['max-tokens'], '--max-tokens');
    const maxFindings = positiveInteger(values['max-findings'], '--max-findings');
    const threads = positiveInteger(values.threads, '--threads');
    const tokenizer = values.tokenizer !== undefined ? resolve(io.cwd, values.tokenizer) : maxTokens !== undefined ? null : undefined;

    let errors = 0;
    let ioFailure = false;
    const jsonFiles: { file: string; stats: DatasetStats }[] = [];
    const jsonFindings: JsonFinding[] = [];
    const summaries: string[] = [];
    for (const file of positionals) {
      const path = resolve(io.cwd, file);
      const shownName = escapeFileName(file);
      try {
        if (!(await stat(path)).isFile()) throw new Error('not a file');
      } catch (error) {
        io.stderr.write(`${shownName}: cannot read: ${describeFileNameError(file, error)}\n`);
        ioFailure = true;
        continue;
      }
      const onFinding = (item: Omit<DatasetFinding, 'code'> & { code: string }): void => {
        const line = item.range.start.line + 1;
        const column = item.range.start.character + 1;
        if (values.json) {
          jsonFindings.push({
            file,
            line,
            column,
            endLine: item.range.end.line + 1,
            endColumn: item.range.end.character + 1,
            severity: item.severity,
            code: item.code,
            message: item.message,
            ...(item.relatedLine !== undefined ? { relatedLine: item.relatedLine + 1 } : {}),
            ...(item.relatedFile ? { relatedFile: item.relatedFile } : {}),
          });
        } else {
          io.stdout.write(`${shownName}:${line}:${column}: ${item.severity} ${item.code} ${escapeControlCharacters(item.message)}\n`);
        }
      };
      if (isPromptTemplatePath(path)) {
        // Prompt templates: same output format and exit codes, checks from src/core/prompts.
        try {
          const { findings, summary } = await validatePromptTemplateFile(path, { cwd: io.cwd, env: io.env, displayName: shownName });
          for (const item of findings) onFinding(item);
          errors += findings.filter((item) => item.severity === 'error').length;
          summaries.push(summary);
        } catch (error) {
          io.stderr.write(`${shownName}: cannot read: ${describeFileNameError(file, error)}\n`);
          ioFailure = true;
        }
        continue;
      }
      try {
        const { stats } = await validateDatasetFile(path, {
          onFinding,
          ...(format ? { format } : {}),
          ...(maxTokens !== undefined ? { maxTokens } : {}),
          ...(maxFindings !== undefined ? { maxFindingsPerCode: maxFindings } : {}),
          ...(threads !== undefined ? { threads } : {}),
          ...(tokenizer !== undefined ? { tokenizer } : {}),
          ...(values['no-splits'] ? {} : { splitFiles: findSiblingSplits(path) }),
        });
        errors += countBySeverity(stats).error;
        summaries.push(describeFile(shownName, stats));
        jsonFiles.push({ file, stats });
      } catch (error) {
        io.stderr.write(`${shownName}: cannot read: ${describeFileNameError(file, error)}\n`);
        ioFailure = true;
      }
    }
    if (values.json) io.stdout.write(`${JSON.stringify({ findings: jsonFindings, files: jsonFiles }, null, 2)}\n`);
    for (const summary of summaries) io.stderr.write(`${summary}\n`);
    io.stderr.write(`${positionals.length} file(s) checked: ${errors} error(s)\n`);
    if (ioFailure) return ExitCode.usage;
    return errors > 0 ? ExitCode.findings : ExitCode.ok;
  },
};
