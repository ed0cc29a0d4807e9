import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { readBoundedText } from '../../core/files/boundedRead';
import { escapeFileName } from '../../core/files/fileNames';
import { cliWorkspaceRoot } from '../../core/prompts/promptyFile';
import { resolveInsideWorkspace } from '../../core/prompts/workspaceFiles';
import { parseComparison } from '../../core/eval/comparisonFile';
import { evaluateComparison, reportFileName, selectStrategies } from '../../core/eval/evaluateComparison';
import { InterruptedRunError, RunInProgressError } from '../../core/eval/evalRunState';
import { type ComparisonProblem, type ComparisonSpec, type EvalProgress, type ThresholdSpec } from '../../core/eval/evalTypes';
import { FileChatSources, missingApiKeys } from '../../core/eval/fileChatSources';
import { reportMarkdown } from '../../core/eval/reportExport';
import { checkThreshold, parseThreshold } from '../../core/eval/thresholds';
import { ExitCode, UsageError, type CliCommand, type CliIo } from '../io';
import { integer } from './engineOptions';

/** The shell's code for a run stopped with Ctrl-C (128 + SIGINT). */
const interruptedExitCode = 130;
/** A terminal gets a progress line at most this often; a log (not a TTY) one every tenth of the run. */
const progressIntervalMs = 1000;

function problemLine(file: string, problem: ComparisonProblem): string {
  return `${escapeFileName(file)}:${problem.range.start.line + 1}:${problem.range.start.character + 1}: ${problem.severity}: ${problem.message}`;
}

function formatEta(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '';
  const rounded = Math.max(0, Math.round(seconds));
  return rounded >= 60 ? `, ~${Math.floor(rounded / 60)}m${String(rounded % 60).padStart(2, '0')}s left` : `, ~${rounded}s left`;
}

/** Progress on stderr: a line a second on a terminal, a line per 10% in a log. */
function progressPrinter(io: CliIo): (stage: string, progress: EvalProgress) => void {
  const isTerminal = (io.stderr as { isTTY?: boolean }).isTTY === true;
  let lastAt = 0;
  let lastTenth = new Map<string, number>();
  return (stage, progress) => {
    if (progress.total === 0) return;
    const finished = progress.done >= progress.total;
    if (isTerminal) {
      const now = Date.now();
      if (now - lastAt < progressIntervalMs && !finished) return;
      lastAt = now;
    } else {
      const tenth = Math.floor((progress.done / progress.total) * 10);
      if (tenth <= (lastTenth.get(stage) ?? -1)) return;
      lastTenth = new Map(lastTenth).set(stage, tenth);
    }
    const details = [progress.cached > 0 ? `${progress.cached} cached` : '', progress.failed > 0 ? `${progress.failed} failed` : ''].filter(Boolean).join(', ');
    io.stderr.write(`${stage}: ${progress.done}/${progress.total}${details ? ` (${details})` : ''}${finished ? '' : formatEta(progress.etaSeconds)}\n`);
  };
}

/** A workspace-relative file's text, or undefined when it is missing or outside the root. */
function workspaceReader(root: string): (relativePath: string) => Promise<string | undefined> {
  return async (relativePath) => {
    const resolved = resolveInsideWorkspace(relativePath, undefined, [root]);
    if ('error' in resolved) return undefined;
    return readBoundedText(resolved.path, { kind: 'template' }).catch(() => undefined);
  };
}

function listOption(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '');
  if (names.length === 0) throw new UsageError('--strategies needs at least one strategy name (e.g. --strategies zero-shot,rag)');
  return names;
}

export const evalCommand: CliCommand = {
  name: 'eval',
  summary: 'Run a comparison of strategies (*.compare.yaml) on an eval set: scores, report and recommendation',
  usage: `chatwright eval <comparison.compare.yaml> [options]

Answers every question of the comparison's eval set with every strategy (through the same chat pipeline as the
chat view), scores the answers, and prints the report's Markdown summary: each strategy's scores with 95%
intervals, cost and latency, and the recommended strategy with its reasons. Answers are cached in
.chatwright/evals/<name>/, so a second run only answers what changed; report.json there holds the whole report.
Progress goes to stderr. Ctrl-C stops cleanly (the answers so far are kept; continue with --resume).

Options:
  --strategies <a,b>       run and report only these strategies
  --resume                 continue a run that stopped part-way (killed, Ctrl-C)
  --fresh                  forget cached answers and judgements first (hand grades are kept)
  --report-only            rebuild the report from what is cached; contacts no model
  --threshold <m=min[@s]>  fail (exit 1) when strategy s's (default: the recommended one's) mean metric m is
                           below min, e.g. token_f1=0.6 or judge_score=3.5@rag; repeatable; replaces the file's
  --concurrency <n>        requests in flight at once per backend (default: the file's, else 4)
  --json                   print the report as JSON instead of Markdown

API keys of the comparison's endpoints are read from the environment variables the file names (apiKeyEnv).

Exit codes: 0 done and every threshold holds (or none is set), 1 a threshold does not hold, 2 usage error or a
failure (a comparison or eval set with errors, a missing API key, an earlier run to --resume or --fresh),
130 stopped with Ctrl-C.`,
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        strategies: { type: 'string' },
        resume: { type: 'boolean', default: false },
        fresh: { type: 'boolean', default: false },
        'report-only': { type: 'boolean', default: false },
        threshold: { type: 'string', multiple: true, default: [] },
        concurrency: { type: 'string' },
        json: { type: 'boolean', default: false },
      },
    });
    if (positionals.length !== 1) throw new UsageError('eval needs one comparison file (e.g. chatwright eval support.compare.yaml)');
    if (values.resume && values.fresh) throw new UsageError('--resume and --fresh contradict each other: choose one');
    if (values['report-only'] && values.fresh) throw new UsageError('--report-only reads the cached answers that --fresh would forget: choose one');
    const flagThresholds: ThresholdSpec[] = values.threshold.map((text) => {
      try {
        return parseThreshold(text);
      } catch (error) {
        throw new UsageError((error as Error).message);
      }
    });
    const concurrency = values.concurrency !== undefined ? integer('--concurrency', values.concurrency, 1) : undefined;
    const strategyNames = listOption(values.strategies);

    const file = resolve(io.cwd, positionals[0]!);
    let text: string;
    try {
      text = await readBoundedText(file, { kind: 'template' });
    } catch (error) {
      io.stderr.write(`chatwright eval: cannot read ${escapeFileName(file)}: ${(error as Error).message}\n`);
      return ExitCode.usage;
    }
    const parsed = parseComparison(text, file, { workspaceRoot: cliWorkspaceRoot(file, io.cwd) });
    for (const problem of parsed.problems) io.stderr.write(`${problemLine(positionals[0]!, problem)}\n`);
    if (!parsed.spec || parsed.problems.some((problem) => problem.severity === 'error')) return ExitCode.usage;
    const spec: ComparisonSpec = concurrency !== undefined ? { ...parsed.spec, concurrency } : parsed.spec;
    const strategies = selectStrategies(spec, strategyNames);
    const thresholds = flagThresholds.length > 0 ? flagThresholds : spec.threshold ? [spec.threshold] : [];
    for (const threshold of thresholds) {
      if (threshold.strategy !== undefined && !strategies.some((strategy) => strategy.name === threshold.strategy)) {
        throw new UsageError(`the threshold names the strategy '${threshold.strategy}', which this run does not report (strategies: ${strategies.map((s) => s.name).join(', ')})`);
      }
    }
    const reportOnly = values['report-only'];
    if (!reportOnly) {
      const missing = missingApiKeys(spec, strategies, io.env);
      if (missing.length > 0) {
        for (const line of missing) io.stderr.write(`chatwright eval: ${line}\n`);
        return ExitCode.usage;
      }
    }

    const sources = new FileChatSources({ root: spec.root, endpoints: spec.endpoints, env: io.env });
    const controller = new AbortController();
    const onInterrupt = (): void => {
      if (!controller.signal.aborted) io.stderr.write('\nstopping: the answers so far are kept…\n');
      controller.abort();
    };
    process.on('SIGINT', onInterrupt);
    try {
      // A report-only run embeds nothing: it reuses the embedding scores the run saved (embedding-scores.jsonl).
      const embed = spec.embeddingModel !== undefined && !reportOnly ? sources.embedder(spec.embeddingModel) : undefined;
      let outcome: Awaited<ReturnType<typeof evaluateComparison>>;
      try {
        outcome = await evaluateComparison({
          spec,
          sources,
          ...(strategyNames ? { strategies: strategyNames } : {}),
          mode: reportOnly ? 'report' : 'run',
          resume: values.resume,
          fresh: values.fresh,
          readText: workspaceReader(spec.root),
          ...(embed ? { embed } : {}),
          onProgress: progressPrinter(io),
          signal: controller.signal,
        });
      } catch (error) {
        if (error instanceof InterruptedRunError || error instanceof RunInProgressError) {
          io.stderr.write(`chatwright eval: ${error.message}\n`);
          return ExitCode.usage;
        }
        if (controller.signal.aborted) {
          io.stderr.write('chatwright eval: stopped; the answers so far are kept: continue with --resume\n');
          return interruptedExitCode;
        }
        throw error;
      }
      const { report, cancelled } = outcome;
      if (cancelled) {
        io.stderr.write(`chatwright eval: stopped; the answers so far are kept: continue with --resume\n`);
        return interruptedExitCode;
      }
      io.stdout.write(values.json ? `${JSON.stringify(report, null, 2)}\n` : `${reportMarkdown(report).trimEnd()}\n`);
      for (const note of report.notes ?? []) io.stderr.write(`note: ${note}\n`);
      io.stderr.write(`report: ${escapeFileName(resolve(spec.outputDir, reportFileName))}\n`);
      let allHold = true;
      for (const threshold of thresholds) {
        const result = checkThreshold(report, threshold);
        io.stderr.write(`${result.message}\n`);
        allHold &&= result.holds;
      }
      return allHold ? ExitCode.ok : ExitCode.findings;
    } finally {
      process.off('SIGINT', onInterrupt);
      await sources.dispose();
    }
  },
};
