import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type JobSnapshot } from '../../src/core/jobs/jobSnapshot';
import { type JobPageAction, type JobPageState } from '../../src/shared/jobPageProtocol';
import { until } from '../support/chatPage';
import { JobPageHarness, type JobPage } from '../support/jobPageHarness';

const outputDir = join(__dirname, '..', '..', 'test-output', 'webview');
const harness = new JobPageHarness();
before(() => harness.start());
after(() => harness.stop());

const allActions: JobPageAction[] = ['stop', 'cancel', 'resume', 'checkpoint', 'openRunFolder', 'showLog', 'chat', 'export'];

/** A snapshot after `steps` steps of a falling loss, an eval every 20 steps, as the reducer would fold it. */
function trainedSnapshot(steps: number, overrides: Partial<JobSnapshot> = {}): JobSnapshot {
  const step = Array.from({ length: steps }, (_, i) => i + 1);
  const evalStep = step.filter((s) => s % 20 === 0);
  return {
    runDir: '/work/ws/.chatwright/runs/20261204-101500-support-bot',
    name: 'support-bot',
    kind: 'train',
    ready: false,
    status: 'running',
    phase: 'training',
    method: 'lora',
    step: steps,
    totalSteps: 120,
    epoch: steps / 40,
    etaSeconds: 90,
    startedAt: Date.now() - 125_000,
    lastLoss: 2.8 * Math.exp(-steps / 50) + 0.3,
    series: {
      step,
      loss: step.map((s) => 2.8 * Math.exp(-s / 50) + 0.3),
      learningRate: step.map((s) => 2e-4 * Math.min(1, s / 10) * (1 - s / 130)),
      tokensPerSecond: step.map((s) => 5200 + 40 * Math.sin(s)),
      gpuMemoryBytes: step.map(() => 6.4 * 1024 ** 3),
      evalStep,
      evalLoss: evalStep.map((s) => 2.9 * Math.exp(-s / 55) + 0.4),
    },
    checkpoints: [{ step: 40, path: 'checkpoints/checkpoint-40', reason: 'interval' }],
    warnings: [],
    environment: {
      precision: 'bf16',
      attnImplementation: 'sdpa',
      packing: 'padding-free',
      cuda: '12.4',
      torch: '2.5.1',
      gpus: [{ index: 0, name: 'NVIDIA H200', memory_bytes: 150_000_000_000, compute_capability: '9.0', bf16: true }],
    },
    data: { format: 'messages', trainExamples: 480, evalExamples: 24, evalSource: 'valid.jsonl', trainTokens: 96_000, trainedTokens: 31_000 },
    model: { trainableParameters: 4_400_000, totalParameters: 494_000_000 },
    config: { model: { path: 'models/qwen' }, lora: { r: 16 } },
    lastSeq: steps + 8,
    ...overrides,
  };
}

function actions(enabled: Partial<Record<JobPageAction, string | true>>): JobPageState['actions'] {
  return allActions.map((action) => {
    const entry = enabled[action];
    return entry === true ? { action, enabled: true } : { action, enabled: false, reason: entry ?? `Not now (${action}).` };
  });
}

function state(snapshot: JobSnapshot, fields: Partial<JobPageState> = {}): JobPageState {
  return { snapshot, where: [], actions: actions({ stop: true, cancel: true, checkpoint: true, openRunFolder: true, showLog: true }), ...fields };
}

async function points(page: JobPage['page'], chart: string): Promise<number> {
  return Number(await page.locator(`figure.chart[data-chart="${chart}"]`).getAttribute('data-points'));
}

async function chartsReady(job: JobPage, expected: number): Promise<void> {
  await until(job.page, `document.querySelector('figure.chart[data-chart="learning-rate"]')?.dataset.points === '${expected}'`);
}

describe('Job page webview (Chromium, mock host)', { timeout: 180_000 }, () => {
  it('before the first step shows the header and an empty state instead of charts', async () => {
    const job = await harness.open();
    const starting = trainedSnapshot(0, { status: 'starting', phase: 'loading_model' });
    delete starting.lastLoss;
    delete starting.etaSeconds;
    await job.state(state(starting));
    const { page } = job;
    await page.locator('#job-name').waitFor();
    await until(page, `!document.getElementById('charts-empty').hidden`);
    assert.equal(await page.locator('#job-name').textContent(), 'support-bot');
    assert.equal(await page.locator('#job-status').textContent(), 'Starting');
    assert.equal(await page.locator('#job-phase dd').textContent(), 'Loading the model');
    assert.equal(await page.locator('#job-step dd').textContent(), '0 / 120');
    assert.match((await page.locator('#charts-empty').textContent()) ?? '', /No training step yet/);
    assert.equal(await page.locator('.chart-grid').isHidden(), true);
    assert.equal(await page.locator('canvas').count(), 0, 'no chart is built before there is data');
    assert.deepEqual(await page.evaluate('window.savedState'), { runDir: '/work/ws/.chatwright/runs/20261204-101500-support-bot' }, 'the run folder is saved for the page to be restored');
    await job.close();
  });

  it('feeds the four charts from the series: loss with eval points, learning rate, tokens/s and GPU memory', async () => {
    const job = await harness.open();
    await job.state(state(trainedSnapshot(120)));
    const { page } = job;
    await chartsReady(job, 120);
    assert.equal(await points(page, 'loss'), 120, 'eval steps fall on train steps: one x value each');
    assert.equal(await points(page, 'tokens-per-second'), 120);
    assert.equal(await points(page, 'gpu-memory'), 120);
    assert.equal(await page.locator('figure.chart canvas').count(), 4);
    assert.deepEqual(await page.locator('figure.chart[data-chart="loss"] .u-legend .u-series .u-label').allTextContents(), ['Step', 'Train loss', 'Eval loss']);
    assert.match((await page.locator('figure.chart[data-chart="loss"] .chart-latest').textContent()) ?? '', /^Train loss 0\.\d{4} · Eval loss 0\.\d{4} \(step 120\)$/);
    assert.equal(await page.locator('figure.chart[data-chart="gpu-memory"] .chart-latest').textContent(), '6.40 GiB (step 120)');
    assert.equal(await page.locator('#job-step dd').textContent(), '120 / 120');
    assert.equal(await page.locator('#job-epoch dd').textContent(), '3.00');
    assert.match((await page.locator('#job-elapsed dd').textContent()) ?? '', /^2m 0\ds$/);
    assert.equal(await page.locator('#job-eta dd').textContent(), '1m 30s');
    await job.close();
  });

  it('updates the charts in place as steps arrive, and puts an eval between steps on the shared axis', async () => {
    const job = await harness.open();
    const { page } = job;
    await job.state(state(trainedSnapshot(10)));
    await chartsReady(job, 10);
    await page.evaluate(`document.querySelector('figure.chart[data-chart="loss"] canvas').dataset.first = 'yes'`);
    const later = trainedSnapshot(30);
    // An eval at step 25.5 cannot happen, but one logged between two step events at a step with no step event can.
    later.series.evalStep = [20, 25];
    later.series.evalLoss = [1.9, 1.8];
    later.series.step = later.series.step.filter((s) => s !== 25);
    later.series.loss.splice(24, 1);
    later.series.learningRate.splice(24, 1);
    later.series.tokensPerSecond.splice(24, 1);
    later.series.gpuMemoryBytes.splice(24, 1);
    await job.state(state(later));
    await chartsReady(job, 29);
    assert.equal(await points(page, 'loss'), 30, 'the eval-only step 25 is an x value of the loss chart');
    assert.equal(await page.locator('figure.chart[data-chart="loss"] canvas[data-first="yes"]').count(), 1, 'the chart was updated with setData, not rebuilt');
    await job.close();
  });

  it('says so when a series was never reported instead of drawing an empty chart', async () => {
    const job = await harness.open();
    const snapshot = trainedSnapshot(12);
    snapshot.series.gpuMemoryBytes = snapshot.series.gpuMemoryBytes.map(() => null);
    await job.state(state(snapshot));
    const { page } = job;
    await chartsReady(job, 12);
    assert.equal(await page.locator('figure.chart[data-chart="gpu-memory"] .chart-note').isVisible(), true);
    assert.match((await page.locator('figure.chart[data-chart="gpu-memory"] .chart-note').textContent()) ?? '', /No GPU memory reported/);
    assert.equal(await page.locator('figure.chart[data-chart="gpu-memory"] canvas').count(), 0);
    await job.close();
  });

  it('resizes the charts with the panel', async () => {
    const job = await harness.open({ viewport: { width: 1300, height: 800 } });
    const { page } = job;
    await job.state(state(trainedSnapshot(40)));
    await chartsReady(job, 40);
    const plotWidth = `document.querySelector('figure.chart[data-chart="loss"] .u-wrap').getBoundingClientRect().width`;
    const wide = await page.evaluate<number>(plotWidth);
    await page.setViewportSize({ width: 500, height: 800 });
    await until(page, `${plotWidth} < ${wide - 50}`);
    const [plotRight, figureRight] = await page.evaluate<[number, number]>(`(() => {
      const figure = document.querySelector('figure.chart[data-chart="loss"]');
      return [figure.querySelector('.u-wrap').getBoundingClientRect().right, figure.getBoundingClientRect().right];
    })()`);
    assert.ok(plotRight <= figureRight, `the chart stays inside its box (${plotRight} <= ${figureRight})`);
    assert.ok(figureRight <= 500, 'and the box inside the narrow panel');
    await job.close();
  });

  it('disables the actions that make no sense now, each with its reason, and sends the others to the host', async () => {
    const job = await harness.open();
    const { page } = job;
    const reason = 'No adapter yet: the job saves one when it finishes or is stopped and saved.';
    await job.state(state(trainedSnapshot(5), { actions: actions({ stop: true, cancel: true, openRunFolder: true, chat: reason, export: reason, resume: 'The job is running.' }) }));
    await page.locator('#action-stop').waitFor();
    assert.deepEqual(await page.locator('.job-actions button').allTextContents(), [
      'Stop and save',
      'Cancel',
      'Resume',
      'Checkpoint now',
      'Open run folder',
      'Show log',
      'Chat with the result',
      'Export',
    ]);
    assert.equal(await page.locator('#action-chat').isDisabled(), true);
    assert.equal(await page.locator('#action-chat').getAttribute('title'), reason);
    assert.equal(await page.locator('#action-resume').getAttribute('title'), 'The job is running.');
    assert.equal(await page.locator('#action-stop').isDisabled(), false);
    assert.equal(await page.locator('#action-stop').getAttribute('title'), null);
    await page.locator('#action-stop').click();
    await until(page, `window.posted.some((m) => m.method === 'job/action' && m.action === 'stop')`);
    await page.locator('#action-chat').click({ force: true });
    await page.waitForTimeout(100);
    assert.equal((await job.posted()).filter((m) => m.method === 'job/action' && m.action === 'chat').length, 0, 'a disabled action sends nothing');
    await page.evaluate(`window.hostReplies['job/action'] = { error: 'The trainer is not running any more.' }`);
    await page.locator('#action-cancel').click();
    await page.locator('#action-status[data-result="error"]').waitFor();
    assert.equal(await page.locator('#action-status').textContent(), 'The trainer is not running any more.');
    await job.close();
  });

  it('shows the preflight: findings errors first with their actions, and the loss-mask preview with a legend and counts', async () => {
    const job = await harness.open();
    const { page } = job;
    const queued = trainedSnapshot(0, { status: 'queued' });
    delete queued.phase;
    await job.state(
      state(queued, {
        preflight: {
          ok: false,
          findings: [
            { code: 'pad-token-is-eos', severity: 'warning', message: 'The pad token is the end-of-sequence token.', action: 'Chatwright sets a separate pad token.' },
            {
              code: 'loss-mask-empty',
              severity: 'error',
              message: 'No example trains any token.',
              action: 'Use a chat template that marks assistant turns.',
              location: { file: 'support.job.yaml', line: 4, field: 'data.template' },
            },
          ],
          examples: [
            {
              source: 'data/train.jsonl:1',
              tokens: 24,
              trainedTokens: 8,
              segments: [
                { text: '<|im_start|>user\nHow do I pair it?<|im_end|>\n<|im_start|>assistant\n', trained: false },
                { text: 'Hold the button for 5 seconds.<|im_end|>', trained: true },
              ],
            },
          ],
          stats: { rows: 480, labelled: 200, tokens: 40_000, trainedTokens: 12_500, truncated: 3, dropped: 0, evalFile: 'data/valid.jsonl' },
        },
      }),
    );
    await page.locator('#preflight').waitFor();
    assert.deepEqual(await page.evaluate(`[...document.querySelectorAll('#preflight-findings .finding')].map((item) => item.dataset.code)`), ['loss-mask-empty', 'pad-token-is-eos']);
    assert.match((await page.locator('#preflight-findings .finding').first().textContent()) ?? '', /support\.job\.yaml:4 \(data\.template\).*Use a chat template/);
    assert.match((await page.locator('#preflight-verdict').textContent()) ?? '', /failed/);
    assert.deepEqual(await page.locator('#loss-mask-preview .mask-text .segment.trained').allTextContents(), ['Hold the button for 5 seconds.<|im_end|>']);
    assert.match((await page.locator('#loss-mask-preview figcaption').textContent()) ?? '', /data\/train\.jsonl:1 — 8 of 24 tokens trained/);
    assert.equal(await page.locator('#loss-mask-preview .mask-legend .segment.trained').count(), 1);
    assert.equal(await page.locator('#preflight-stats').textContent(), '480 rows, 200 checked with the tokenizer: 40,000 tokens, 12,500 trained, 3 truncated. Eval file: data/valid.jsonl.');
    assert.match((await page.locator('#charts-empty').textContent()) ?? '', /queued/);
    await job.close();
  });

  it('shows the preflight of a job file that has not run without run actions or a step count, and says when nothing was tokenized', async () => {
    const job = await harness.open();
    const { page } = job;
    const preflightOnly: JobSnapshot = {
      runDir: '/work/ws/support.job.yaml',
      jobFile: '/work/ws/support.job.yaml',
      name: 'support',
      kind: 'train',
      ready: false,
      status: 'preflight',
      step: 0,
      series: { step: [], loss: [], learningRate: [], tokensPerSecond: [], gpuMemoryBytes: [], evalStep: [], evalLoss: [] },
      checkpoints: [],
      warnings: [],
      lastSeq: 0,
    };
    const finding = { code: 'model-unreadable' as const, severity: 'error' as const, message: 'The model is not downloaded.', action: 'Download it first.' };
    const stats = { rows: 36, labelled: 0, tokens: 0, trainedTokens: 0, truncated: 0, dropped: 0 };
    await job.state(state(preflightOnly, { preflight: { ok: false, findings: [finding], examples: [], stats } }));
    await page.locator('#preflight').waitFor();
    assert.equal(await page.locator('#job-status').textContent(), 'Preflight');
    assert.equal(await page.locator('.job-actions button').count(), 0, 'no run action on a job that has not run');
    assert.equal(await page.locator('#job-step').count(), 0, 'no "Step 0" before a run');
    assert.match((await page.locator('#charts-empty').textContent()) ?? '', /^Not started: Run Job trains once the preflight below passes/);
    assert.equal(await page.locator('#preflight-stats').textContent(), '36 rows, none tokenized yet.');
    await job.close();
  });

  it('shows the data and model summary, the environment, checkpoints and the resolved config folded', async () => {
    const job = await harness.open();
    const { page } = job;
    await job.state(
      state(trainedSnapshot(120, { status: 'done', phase: 'done', finalLoss: 0.42, adapter: 'adapter', endedAt: Date.now() }), {
        configText: '{\n  "lora": { "r": 16 }\n}',
        environment: { python: '3.11.2' },
      }),
    );
    await page.locator('#data-model-table').waitFor();
    const rows = await page.locator('#data-model-table tr').allTextContents();
    assert.ok(rows.includes('Trained tokens31,000 (32.3% of all tokens)'), rows.join(' | '));
    assert.ok(rows.includes('Trainable parameters4.40M of 494M (0.89%)'), rows.join(' | '));
    const environment = await page.locator('#environment-table tr').allTextContents();
    assert.deepEqual(environment, ['GPUNVIDIA H200, 139.7 GiB', 'Precisionbf16', 'Attentionsdpa', 'Packingpadding-free', 'torch2.5.1', 'CUDA12.4', 'Python3.11.2']);
    assert.equal(await page.locator('#config').getAttribute('open'), null, 'the config is folded');
    await page.locator('#config summary').click();
    assert.equal(await page.locator('#config .config-text').textContent(), '{\n  "lora": { "r": 16 }\n}');
    // A new state that leaves the config alone keeps it open.
    await job.state(state(trainedSnapshot(120, { status: 'done', phase: 'done', finalLoss: 0.41, adapter: 'adapter', endedAt: Date.now() }), { configText: '{\n  "lora": { "r": 16 }\n}' }));
    await until(page, `document.querySelector('#job-mean-loss dd').textContent === '0.4100'`);
    assert.notEqual(await page.locator('#config').getAttribute('open'), null);
    assert.deepEqual(await page.locator('#checkpoints-table tbody tr').allTextContents(), ['40intervalcheckpoints/checkpoint-40']);
    assert.equal(await page.locator('#adapter code').textContent(), 'adapter');
    assert.equal(await page.locator('#job-status').textContent(), 'Done');
    assert.equal(await page.locator('#job-eta').count(), 0, 'a finished job has no ETA');
    await job.close();
  });

  it('shows the error with its action and an install command that can be copied', async () => {
    const job = await harness.open();
    const { page } = job;
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    const install = 'python3 -m pip install "torch>=2.3" "transformers>=4.45" "peft>=0.13"';
    await job.state(
      state(trainedSnapshot(0, { status: 'failed', phase: 'failed' }), {
        actions: actions({ openRunFolder: true, showLog: true }),
      }),
    );
    await job.state(
      state(
        trainedSnapshot(0, {
          status: 'failed',
          phase: 'failed',
          error: {
            code: 'PACKAGES_MISSING',
            message: 'torch, transformers and peft are not installed.',
            action: 'Install them, or create an environment with "Chatwright: Create Python Environment".',
            install_command: install,
          },
        }),
        { actions: actions({ openRunFolder: true, showLog: true }) },
      ),
    );
    await page.locator('#job-error').waitFor();
    assert.match((await page.locator('#job-error .error-message').textContent()) ?? '', /^PACKAGES_MISSING torch, transformers and peft/);
    assert.match((await page.locator('#job-error .error-action').textContent()) ?? '', /Create Python Environment/);
    assert.equal(await page.locator('#install-command').textContent(), install);
    await page.locator('#copy-install-command').click();
    await until(page, `document.querySelector('.copy-status').textContent !== ''`);
    const copied = await page.evaluate<string>('navigator.clipboard.readText()');
    assert.equal(copied, install);
    assert.match((await page.locator('#charts-empty').textContent()) ?? '', /failed before its first training step/);
    await job.close();
  });

  it('keeps a bounded log tail that follows new lines and starts over on reset', async () => {
    const job = await harness.open();
    const { page } = job;
    await job.state(state(trainedSnapshot(3)));
    assert.equal(await page.locator('#log-empty').isVisible(), true);
    await job.log(['loading model', 'step 1']);
    await until(page, `document.querySelectorAll('#log-tail .log-line').length === 2`);
    await job.log(Array.from({ length: 1200 }, (_, i) => `line ${i}`));
    await until(page, `document.querySelectorAll('#log-tail .log-line').length === 1000`);
    assert.equal(await page.locator('#log-tail .log-line').last().textContent(), 'line 1199');
    assert.equal(await page.locator('#log-tail .log-line').first().textContent(), 'line 200');
    await job.log(['fresh start'], true);
    await until(page, `document.querySelectorAll('#log-tail .log-line').length === 1`);
    await job.close();
  });

  it('renders hostile strings from the run (log, config, dataset text, error, names) as inert text', async () => {
    const job = await harness.open();
    const { page } = job;
    const payloads = [
      '<img src=x onerror="window.pwned=\'img\'">',
      '<script>window.pwned="script"</script>',
      '<svg onload="window.pwned=\'svg\'"></svg>',
      '<a href="javascript:window.pwned=\'link\'">x</a>',
      '<iframe srcdoc="<script>parent.pwned=1</script>"></iframe>',
      '<style>body{display:none}</style>',
    ];
    const hostile = payloads.join(' ');
    const snapshot = trainedSnapshot(20, {
      name: hostile,
      status: 'failed',
      phase: 'failed',
      method: hostile,
      error: { code: hostile, message: hostile, action: hostile, install_command: hostile, errors: [hostile] },
      warnings: [{ code: hostile, message: hostile }],
      checkpoints: [{ step: 10, path: hostile, reason: hostile }],
      adapter: hostile,
      resumedFrom: hostile,
      environment: {
        precision: hostile,
        attnImplementation: hostile,
        packing: hostile,
        torch: hostile,
        cuda: hostile,
        gpus: [{ index: 0, name: hostile, memory_bytes: 1, compute_capability: hostile, bf16: false }],
      },
      data: { format: hostile, evalExamples: 2, evalSource: hostile },
    });
    await job.state(
      state(snapshot, {
        configText: hostile,
        environment: { python: hostile },
        preflight: {
          ok: false,
          findings: [{ code: 'dataset-error', severity: 'error', message: hostile, action: hostile, location: { file: hostile, line: 1, field: hostile } }],
          examples: [
            {
              source: hostile,
              tokens: 3,
              trainedTokens: 1,
              segments: [
                { text: hostile, trained: false },
                { text: hostile, trained: true },
              ],
            },
          ],
          stats: { rows: 1, labelled: 1, tokens: 3, trainedTokens: 1, truncated: 0, dropped: 0, evalFile: hostile },
        },
        actions: actions({ openRunFolder: true, resume: hostile }),
        // The Where block's values come from Slurm (reasons, node lists): as untrusted as the rest.
        where: [{ label: hostile, value: hostile }],
      }),
    );
    await job.log(payloads);
    await page.locator('#job-error').waitFor();
    await until(page, `document.querySelectorAll('#log-tail .log-line').length === ${payloads.length}`);
    await page.locator('#config summary').click();
    await page.waitForTimeout(300);
    assert.equal(await page.evaluate('window.pwned'), undefined, 'the sentinel must never be set');
    const active = await page.evaluate(`(() => {
      const found = [...document.getElementById('root').querySelectorAll('script, img, svg, iframe, style, a, object, embed')].map((e) => e.tagName);
      for (const e of document.getElementById('root').querySelectorAll('*')) for (const a of e.attributes) if (/^on/i.test(a.name) || a.name === 'href' || a.name === 'src') found.push(e.tagName + '[' + a.name + ']');
      return found;
    })()`);
    assert.deepEqual(active, [], 'no active elements or attributes');
    assert.equal(await page.locator('#job-name').textContent(), hostile, 'the text itself is shown as written');
    assert.equal(await page.locator('#log-tail .log-line').first().textContent(), payloads[0]);
    assert.equal(await page.locator('#action-resume').getAttribute('title'), hostile);
    assert.equal(await page.locator('#config .config-text').textContent(), hostile);
    assert.equal(await page.locator('#where-table td').textContent(), hostile);
    assert.ok(((await page.locator('#loss-mask-preview .segment.trained').last().textContent()) ?? '').includes('<script>'));
    await job.close();
  });

  it('shows where a Slurm job runs (job, state with its reason, elapsed / limit, processes, batch plan) and offers its sbatch script', async () => {
    mkdirSync(outputDir, { recursive: true });
    const job = await harness.open({ viewport: { width: 1100, height: 1000 } });
    const { page } = job;
    const where = [
      { label: 'Target', value: 'Slurm cluster' },
      { label: 'Slurm job', value: '41237' },
      { label: 'State', value: 'PENDING (Resources)' },
      { label: 'Processes', value: '8 (2 nodes × 4 GPUs), DeepSpeed ZeRO-3' },
      { label: 'Batch', value: '1 per GPU × 1 accumulation × 8 processes = 8 (re-split from 2 × 4 on one device)' },
    ];
    const scheduler = { kind: 'slurm' as const, jobId: '41237', state: 'PENDING' as const, reason: 'Resources', checkedAt: Date.now() };
    const pending = trainedSnapshot(0, { status: 'queued', scheduler });
    delete pending.phase;
    delete pending.lastLoss;
    delete pending.etaSeconds;
    const pendingActions = [...actions({ cancel: true, openRunFolder: true, showLog: true }), { action: 'showScript' as const, enabled: true }];
    await job.state(state(pending, { where, actions: pendingActions }));
    await page.locator('#where-table').waitFor();
    assert.equal(await page.locator('#job-status').textContent(), 'Pending in Slurm', 'the cluster holds it, not this window');
    assert.equal(await page.locator('#job-status').getAttribute('title'), 'Slurm job 41237: PENDING (Resources)');
    const rows = await page.evaluate(`[...document.querySelectorAll('#where-table tr')].map((tr) => [tr.querySelector('th').textContent, tr.querySelector('td').textContent])`);
    assert.deepEqual(
      rows,
      where.map((row) => [row.label, row.value]),
    );
    assert.match((await page.locator('#charts-empty').textContent()) ?? '', /waits in the Slurm queue/);
    await page.locator('#action-showScript').click();
    await until(page, `window.posted.some((m) => m.method === 'job/action' && m.action === 'showScript')`);
    assert.equal(await page.locator('#action-showScript').textContent(), 'Show sbatch script');
    await job.page.screenshot({ path: join(outputDir, 'job-page-slurm-pending.png'), fullPage: true });
    // One local process has no Where block.
    await job.state(state(trainedSnapshot(5)));
    await until(page, `document.getElementById('where-table') === null`);
    await job.close();
  });

  it('looks right in the dark and the light theme (screenshots)', async () => {
    mkdirSync(outputDir, { recursive: true });
    for (const theme of ['dark', 'light'] as const) {
      const job = await harness.open({ theme, viewport: { width: 1100, height: 1000 } });
      await job.state(state(trainedSnapshot(120, { status: 'done', phase: 'done', finalLoss: 0.42, adapter: 'adapter', endedAt: Date.now() }), { configText: '{}' }));
      await job.log(['{"event": "phase", "phase": "done"}', 'Training finished.']);
      await chartsReady(job, 120);
      await job.page.screenshot({ path: join(outputDir, `job-page-${theme}.png`), fullPage: true });
      await job.close();
    }
  });
});
