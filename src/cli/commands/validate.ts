import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { findJsonlSyntaxErrors } from '../../core/datasets/jsonlSyntax';
import { ExitCode, UsageError, type CliCommand } from '../io';

export const validateCommand: CliCommand = {
  name: 'validate',
  summary: 'Check JSON Lines datasets and report problems as file:line:col',
  usage: `chatwright validate <files…> [--json]

Checks each file and prints one line per problem:
  file:line:col: severity code message
then a summary on stderr. Exit code: 0 clean, 1 problems at error level, 2 usage or I/O error.

Options:
  --json   print the findings as one JSON document instead`,
  async run(args, io) {
    const { values, positionals } = parseArgs({ args, allowPositionals: true, options: { json: { type: 'boolean', default: false } } });
    if (positionals.length === 0) throw new UsageError('validate needs at least one file');
    let errors = 0;
    let ioFailure = false;
    const report: { file: string; line: number; column: number; severity: 'error'; code: string; message: string }[] = [];
    for (const file of positionals) {
      let text: string;
      try {
        text = await readFile(resolve(io.cwd, file), 'utf8');
      } catch (error) {
        io.stderr.write(`${file}: cannot read: ${error instanceof Error ? error.message : String(error)}\n`);
        ioFailure = true;
        continue;
      }
      for (const finding of findJsonlSyntaxErrors(text)) {
        errors++;
        const entry = { file, line: finding.range.start.line + 1, column: finding.range.start.character + 1, severity: 'error' as const, code: finding.code, message: finding.message };
        report.push(entry);
        if (!values.json) io.stdout.write(`${entry.file}:${entry.line}:${entry.column}: ${entry.severity} ${entry.code} ${entry.message}\n`);
      }
    }
    if (values.json) io.stdout.write(`${JSON.stringify({ findings: report }, null, 2)}\n`);
    io.stderr.write(`${positionals.length} file(s) checked: ${errors} error(s)\n`);
    if (ioFailure) return ExitCode.usage;
    return errors > 0 ? ExitCode.findings : ExitCode.ok;
  },
};
