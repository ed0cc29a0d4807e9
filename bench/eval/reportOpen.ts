// How fast the eval report opens with 2,000 questions × 4 strategies (goal: under 500 ms), in headless Chromium with
// the built bundle and a mock host that answers the page's `ready` with the state at once (as VS Code's host does).
// Measured from navigation start to the `eval-report-rendered` mark the page sets after the first paint of the
// strategy table and the question list; median of 5. The page gets the report's summary (the selected question's
// detail comes on request). The peer, in the same run: the page as it was first built, sent the whole report in its
// state (every answer, passage and example) and drawing every question row (`?virtualize=0`). Also the time from
// state to the first question's detail drawn, the frame times while scrolling the list, and the host's side: reading,
// parsing and summarizing report.json in the report worker, and the summary alone. Never asserts a timing.
// Run: node scripts/build.mjs --production && npx tsx bench/eval/reportOpen.ts (the page as packaged: minified, no
// source map; a development build's inline source map makes the bundle 7× larger and adds its parsing to every open).
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { summarizeReport } from '../../src/core/eval/reportSummary';
import { ProcessLauncher } from '../../src/core/process/launcher';
import { reportWorkerLoadRequest } from '../../src/shared/evalReportWorkerProtocol';
import { until } from '../../test/support/chatPage';
import { generateEvalReport } from '../../test/support/evalReportFixture';
import { EvalReportHarness, pageState, type HeldReportState } from '../../test/support/evalReportHarness';
import { scratchDir } from '../../test/support/scratchDir';

const questions = Number(process.env.EVAL_BENCH_QUESTIONS ?? 2000);
const strategies = 4;
const runs = 5;
const goalMs = 500;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

interface Measured {
  openMs: number;
  renderMs: number;
  detailMs: number;
  rows: number;
  frameP50: number;
  frameP95: number;
}

async function measure(harness: EvalReportHarness, state: HeldReportState, summary: boolean): Promise<Measured> {
  const view = await harness.open({ preload: state, virtualize: summary, fullState: !summary });
  const { page } = view;
  await until(page, `performance.getEntriesByName('eval-report-rendered').length > 0`, 60_000);
  const openMs = await page.evaluate<number>(`performance.getEntriesByName('eval-report-rendered')[0].startTime`);
  const stateAt = await page.evaluate<number>(`performance.getEntriesByName('eval-report-state')[0].startTime`);
  const renderMs = openMs - stateAt;
  await until(page, `document.getElementById('question-detail') !== null`, 60_000);
  const detailMs = (await page.evaluate<number>(`performance.now()`)) - stateAt;
  const rows = await page.locator('.question-row').count();
  // Scroll the list 300 px a frame for 120 frames and time the frames.
  const frames = await page.evaluate<number[]>(`new Promise((resolve) => {
    const list = document.getElementById('question-list');
    const times = [];
    let last = performance.now();
    const step = () => {
      const now = performance.now();
      times.push(now - last);
      last = now;
      list.scrollTop += 300;
      if (times.length < 121) requestAnimationFrame(step); else resolve(times.slice(1));
    };
    requestAnimationFrame(step);
  })`);
  await view.close();
  return { openMs, renderMs, detailMs, rows, frameP50: percentile(frames, 50), frameP95: percentile(frames, 95) };
}

/** The host's side: the report worker reading, parsing and summarizing report.json (ms, median), and the summary alone. */
async function measureHost(report: HeldReportState['report']): Promise<{ workerLoadMs: number; summarizeMs: number; parseMs: number }> {
  const file = join(scratchDir('eval-report-bench'), 'report.json');
  const text = JSON.stringify(report);
  writeFileSync(file, text);
  const loads: number[] = [];
  const summaries: number[] = [];
  const parses: number[] = [];
  for (let run = 0; run < runs; run++) {
    let start = performance.now();
    JSON.parse(text);
    parses.push(performance.now() - start);
    start = performance.now();
    summarizeReport(report);
    summaries.push(performance.now() - start);
    const launcher = new ProcessLauncher({ name: 'The report worker', target: { kind: 'worker', entry: join(__dirname, '..', '..', 'dist', 'evalReportWorker.js') } });
    start = performance.now();
    const result = await launcher.request(reportWorkerLoadRequest, { file });
    loads.push(performance.now() - start);
    await launcher.dispose();
    if (!result.ok) throw new Error(result.message);
  }
  return { workerLoadMs: median(loads), summarizeMs: median(summaries), parseMs: median(parses) };
}

async function main(): Promise<void> {
  const report = generateEvalReport({ questions, strategies, seed: 2026 });
  const state: HeldReportState = { report, reportFile: '/bench/.chatwright/evals/support/report.json', canRun: true };
  const megabytes = (full: boolean) => (JSON.stringify(pageState(state, 1, full)).length / 1024 / 1024).toFixed(2);
  const harness = new EvalReportHarness();
  await harness.start();
  try {
    const slimName = `summary (${megabytes(false)} MB), virtualized`;
    const peerName = `whole report (${megabytes(true)} MB), every row drawn`;
    const results: Record<string, Measured[]> = { [slimName]: [], [peerName]: [] };
    for (let run = 0; run < runs; run++) {
      // Interleaved, so both see the same machine load.
      results[slimName]!.push(await measure(harness, state, true));
      results[peerName]!.push(await measure(harness, state, false));
    }
    const bundle = readFileSync(join(__dirname, '..', '..', 'dist', 'webview', 'evalReport.js'), 'utf8');
    const build = bundle.includes('sourceMappingURL=data:') ? 'development build (inline source map)' : 'production build';
    console.log(`Eval report open: ${questions} questions × ${strategies} strategies, median of ${runs}, headless Chromium, ${build} (${(bundle.length / 1024).toFixed(0)} KB)`);
    console.log('| page (state sent) | open (ms, median) | runs (ms) | state → rendered (ms) | state → first detail (ms) | question rows in DOM | scroll frame p50 / p95 (ms) |');
    console.log('| --- | ---: | --- | ---: | ---: | ---: | ---: |');
    for (const [name, list] of Object.entries(results)) {
      console.log(
        `| ${name} | ${median(list.map((r) => r.openMs)).toFixed(0)} | ${list.map((r) => r.openMs.toFixed(0)).join(', ')} | ${median(list.map((r) => r.renderMs)).toFixed(0)} | ${median(list.map((r) => r.detailMs)).toFixed(0)} | ${list[0]!.rows} | ${median(list.map((r) => r.frameP50)).toFixed(1)} / ${median(list.map((r) => r.frameP95)).toFixed(1)} |`,
      );
    }
    const hostSide = await measureHost(report);
    console.log(
      `Host: JSON.parse of report.json ${hostSide.parseMs.toFixed(0)} ms on this thread; the report worker reads, parses, checks and summarizes it in ${hostSide.workerLoadMs.toFixed(0)} ms (off the host's thread; includes starting the worker); summarizing a report held in memory ${hostSide.summarizeMs.toFixed(1)} ms.`,
    );
    const open = median(results[slimName]!.map((r) => r.openMs));
    const peer = median(results[peerName]!.map((r) => r.openMs));
    console.log(
      `Machine load average while measuring: ${loadavg()
        .map((value) => value.toFixed(1))
        .join(', ')} on ${cpus().length} cores.`,
    );
    console.log(`Goal: under ${goalMs} ms → ${open.toFixed(0)} ms (${open < goalMs ? 'met' : 'NOT met'}); the peer (whole report, every row) takes ${(peer / open).toFixed(1)}× as long.`);
  } finally {
    await harness.stop();
  }
}

void main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
