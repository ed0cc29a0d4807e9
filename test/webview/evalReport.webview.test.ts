import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type EvalReport } from '../../src/core/eval/evalTypes';
import { questionPreviewLength } from '../../src/shared/evalReportProtocol';
import { until } from '../support/chatPage';
import { generateEvalReport, hostileStrings } from '../support/evalReportFixture';
import { EvalReportHarness, type EvalReportPage, type HeldReportState } from '../support/evalReportHarness';

const outputDir = join(__dirname, '..', '..', 'test-output', 'webview');
const harness = new EvalReportHarness();
before(() => harness.start());
after(() => harness.stop());

function state(report: EvalReport, fields: Partial<Omit<HeldReportState, 'report'>> = {}): HeldReportState {
  return { report, reportFile: '/work/ws/.chatwright/evals/support/report.json', canRun: true, ...fields };
}

async function rendered(view: EvalReportPage): Promise<void> {
  await until(view.page, `document.querySelector('.question-row') !== null && document.getElementById('question-detail') !== null`);
}

async function listedIds(view: EvalReportPage): Promise<string[]> {
  return view.page.evaluate<string[]>(`[...document.querySelectorAll('.question-row')].map((row) => row.dataset.id)`);
}

async function countText(view: EvalReportPage): Promise<string> {
  return (await view.page.locator('#question-count').textContent()) ?? '';
}

describe('Eval report webview (Chromium, mock host)', { timeout: 240_000 }, () => {
  it('renders the header, recommendation, strategy table, charts, head-to-head and data sections of a report', async () => {
    mkdirSync(outputDir, { recursive: true });
    const report = generateEvalReport({ questions: 120, strategies: 4, seed: 3 });
    for (const theme of ['dark', 'light'] as const) {
      const view = await harness.open({ theme });
      await view.state(state(report));
      await rendered(view);
      const { page } = view;
      assert.equal(await page.locator('#report-title').textContent(), 'support');
      assert.match((await page.locator('#report-eval-set dd').textContent()) ?? '', /support\.eval\.jsonl \(120 questions\)/);
      assert.equal(await page.locator('#report-primary dd').textContent(), 'Judge score');
      assert.equal(await page.locator('#recommendation-headline').textContent(), report.recommendation.headline);
      assert.equal(await page.locator('#recommendation .warning').count(), 2);
      assert.deepEqual(await page.evaluate<string[]>(`[...document.querySelectorAll('#recommendation .warning .codicon')].map((icon) => icon.getAttribute('class'))`), [
        'codicon codicon-database',
        'codicon codicon-git-commit',
      ]);
      assert.equal(await page.locator('#ladder tbody tr').count(), 3);
      assert.equal(await page.locator('#strategy-table tbody tr').count(), 4);
      assert.equal(await page.locator('#strategy-table thead th.primary').count(), 1, 'the primary metric column is marked');
      assert.equal(
        await page.locator('#strategy-table tbody tr').first().locator('.interval-bar').count(),
        report.metrics.length - 1,
        'an interval bar per metric the strategy has (retrieval hit only for rag)',
      );
      assert.equal(await page.locator('#forest-plot').getAttribute('data-points'), '4');
      assert.equal(await page.locator('#forest-plot .forest-row').count(), 4);
      assert.equal(await page.locator('#cost-scatter .point').count(), 4);
      assert.equal(await page.locator('#pairwise td.pair').count(), 12);
      const tie = report.pairwise.find((pair) => pair.verdict === 'tie');
      assert.ok(tie, 'the fixture has a tie');
      assert.equal(await page.locator(`#pairwise td.pair[data-a="${tie.a}"][data-b="${tie.b}"] .verdict`).textContent(), 'tie');
      assert.ok((await page.locator('#contamination').textContent())?.includes('data/train.jsonl:118'));
      assert.ok((await page.locator('#document-churn').textContent())?.includes('12 of 40 documents'));
      assert.ok((await page.locator('#judge-calibration').textContent())?.includes('92%'));
      assert.equal(await countText(view), '120 questions');
      assert.deepEqual(await page.evaluate('window.savedState'), { reportFile: '/work/ws/.chatwright/evals/support/report.json' }, 'the report file is saved for the page to be restored');
      await page.screenshot({ path: join(outputDir, `eval-report-${theme}.png`), fullPage: true });
      await view.close();
    }
  });

  it('filters the questions: failures, disagreements, strategy, score below, text', async () => {
    const report = generateEvalReport({ questions: 300, strategies: 4, seed: 11 });
    const view = await harness.open();
    await view.state(state(report));
    await rendered(view);
    const { page } = view;
    const expectCount = async (expected: number, what: string) => {
      await until(page, `document.getElementById('question-count').textContent.startsWith(${JSON.stringify(`${expected.toLocaleString('en-US')} of`)})`).catch(async () =>
        assert.fail(`${what}: expected ${expected}, got ${await countText(view)}`),
      );
    };
    const failing = report.questions.filter((row) => row.failures.length > 0);
    assert.ok(failing.length > 0 && failing.length < report.questions.length, 'the fixture has some failures');
    await page.check('#filter-failures');
    await expectCount(failing.length, 'failures only');
    assert.equal((await listedIds(view))[0], failing[0]!.id);
    await page.selectOption('#filter-strategy', 'zero-shot');
    await expectCount(report.questions.filter((row) => row.failures.includes('zero-shot')).length, 'failures of zero-shot');
    await page.uncheck('#filter-failures');
    await page.fill('#filter-below', '3');
    await expectCount(report.questions.filter((row) => (row.answers['zero-shot']?.scores.judge_score ?? Infinity) < 3).length, 'zero-shot below 3');
    await page.selectOption('#filter-strategy', '');
    await page.fill('#filter-below', '');
    await page.check('#filter-disagreements');
    const disagreeing = report.questions.filter((row) => row.disagreement);
    await expectCount(disagreeing.length, 'disagreements');
    await page.uncheck('#filter-disagreements');
    const needle = report.questions[42]!.question.slice(9, 40);
    await page.fill('#filter-text', needle.toUpperCase());
    const matching = report.questions.filter((row) =>
      [row.id, row.question, row.reference, ...Object.values(row.answers).map((a) => a.content)].join('\n').toLowerCase().includes(needle.toLowerCase()),
    );
    await expectCount(matching.length, 'text search');
    assert.ok((await listedIds(view)).includes('q43'));
    assert.equal(await page.locator('#question-detail').getAttribute('data-id'), matching[0]!.id, 'the first match is shown');
    await page.fill('#filter-text', 'no question says this zzzz');
    await expectCount(0, 'no match');
    await page.locator('#question-detail-empty').waitFor();
    await view.close();
  });

  it('keeps only the rows in view in the DOM for 2,000 questions × 4 strategies, and scrolls to the last', async () => {
    const report = generateEvalReport({ questions: 2000, strategies: 4, seed: 5 });
    const view = await harness.open();
    await view.state(state(report));
    await rendered(view);
    const { page } = view;
    const drawn = await page.locator('.question-row').count();
    assert.ok(drawn > 5 && drawn < 60, `only the visible rows and a margin are drawn (${drawn})`);
    assert.equal(await page.locator('.question-row .chip').count(), drawn * 4, 'a chip per strategy');
    await page.evaluate(`(() => { const list = document.getElementById('question-list'); list.scrollTop = list.scrollHeight; })()`);
    await until(page, `[...document.querySelectorAll('.question-row')].some((row) => row.dataset.id === 'q2000')`);
    assert.ok((await page.locator('.question-row').count()) < 60);
    await view.close();
  });

  it('moves between questions with j/k and grades the focused answer with the buttons and the number keys', async () => {
    const report = generateEvalReport({ questions: 50, strategies: 4, seed: 2 });
    const view = await harness.open();
    await view.state(state(report));
    await rendered(view);
    const { page } = view;
    assert.equal(await page.locator('#question-detail').getAttribute('data-id'), 'q1');
    await page.locator('body').press('j');
    await page.locator('body').press('j');
    await until(page, `document.getElementById('question-detail').dataset.id === 'q3'`);
    await page.locator('body').press('k');
    await until(page, `document.getElementById('question-detail').dataset.id === 'q2'`);
    assert.equal(await page.locator('.question-row[aria-selected="true"]').getAttribute('data-id'), 'q2');
    await page.locator('article.answer[data-strategy="rag"] button.grade[data-score="3"]').click();
    await until(page, `window.posted.some((m) => m.method === 'evalReport/grade')`);
    await page.locator('article.answer[data-strategy="rag"] .grade-status', { hasText: 'Saved' }).waitFor();
    await page.locator('body').press('l');
    await page.locator('body').press('4');
    await until(page, `window.posted.filter((m) => m.method === 'evalReport/grade').length === 2`);
    await page.evaluate(`window.hostReplies['evalReport/grade'] = { error: 'grades.jsonl is read-only' }`);
    await page.locator('body').press('h');
    await page.locator('body').press('h');
    await page.locator('body').press('5');
    await page.locator('article.answer[data-strategy="few-shot"] .grade-status', { hasText: 'grades.jsonl is read-only' }).waitFor();
    await page.locator('body').press('9');
    const grades = (await view.posted()).filter((m) => m.method === 'evalReport/grade').map(({ strategy, questionId, score }) => ({ strategy, questionId, score }));
    assert.deepEqual(
      grades,
      [
        { strategy: 'rag', questionId: 'q2', score: 3 },
        { strategy: 'fine-tuned', questionId: 'q2', score: 4 },
        { strategy: 'few-shot', questionId: 'q2', score: 5 },
      ],
      'h/l move the focused answer; 9 is past the 1-5 scale and sends nothing',
    );
    // The host stores the grade and sends a new state: the page shows it and keeps the question.
    const graded = structuredClone(report);
    graded.questions[1]!.answers['rag']!.manual = { strategy: 'rag', questionId: 'q2', score: 3, gradedAt: 1 };
    await view.state(state(graded));
    await until(page, `document.querySelector('article.answer[data-strategy="rag"] button.grade[data-score="3"]')?.getAttribute('aria-pressed') === 'true'`);
    assert.equal(await page.locator('#question-detail').getAttribute('data-id'), 'q2');
    await page.locator('article.answer[data-strategy="rag"] button.grade.clear').click();
    await until(page, `window.posted.filter((m) => m.method === 'evalReport/grade').length === 4`);
    assert.equal((await view.posted()).filter((m) => m.method === 'evalReport/grade').at(-1)?.score, 0, 'Clear sends 0');
    await view.close();
  });

  it('posts export, open-source, rerun and stop, shows the saved file, and the running banner with progress', async () => {
    const report = generateEvalReport({ questions: 20, strategies: 4, seed: 9 });
    const view = await harness.open();
    await view.state(state(report));
    await rendered(view);
    const { page } = view;
    await page.evaluate(`window.hostReplies['evalReport/export'] = { result: '/work/ws/support-report.csv' }`);
    await page.click('#export-csv');
    await page.locator('#action-status', { hasText: 'Saved /work/ws/support-report.csv' }).waitFor();
    await page.click('#export-markdown');
    await page.click('#export-json');
    await page.locator('article.answer[data-strategy="rag"] details.passages summary').click();
    await page.locator('article.answer[data-strategy="rag"] .passage button.link').first().click();
    await page.locator('.question-title button.link').click();
    await page.click('#rerun');
    await until(page, `window.posted.some((m) => m.method === 'evalReport/rerun')`);
    await view.progress({ total: 80, done: 20, cached: 8, failed: 1, running: 4, etaSeconds: 95, perStrategy: {}, stage: 'answering' });
    await page.locator('#running-banner').waitFor();
    assert.equal(await page.locator('#run-text').textContent(), 'Answering: 20 of 80 (25%) · 8 from the cache · 1 failed · about 1m 35s to go');
    assert.equal(await page.locator('#rerun').isDisabled(), true, 'no second run while one goes');
    await page.click('#stop');
    await until(page, `window.posted.some((m) => m.method === 'evalReport/stop')`);
    await view.progress(undefined);
    await until(page, `document.getElementById('running-banner') === null`);
    // The page's questions and grades aside (other tests), what it asked in order.
    const posted = (await view.posted()).filter((m) => !['evalReport/ready', 'evalReport/grade', 'evalReport/question'].includes(m.method));
    const firstPassage = report.questions[0]!.answers['rag']!.passages[0]!;
    assert.deepEqual(posted, [
      { method: 'evalReport/export', format: 'csv' },
      { method: 'evalReport/export', format: 'markdown' },
      { method: 'evalReport/export', format: 'json' },
      { method: 'evalReport/openSource', file: firstPassage.file, line: firstPassage.startLine },
      { method: 'evalReport/openSource', file: report.evalSet.file, line: 1 },
      { method: 'evalReport/rerun' },
      { method: 'evalReport/stop' },
    ]);
    await view.state(state(report, { canRun: false }));
    await until(page, `document.getElementById('rerun').disabled`);
    await view.close();
  });

  it('sorts the strategy table by the column clicked', async () => {
    const report = generateEvalReport({ questions: 60, strategies: 4, seed: 4 });
    const view = await harness.open();
    await view.state(state(report));
    await rendered(view);
    const { page } = view;
    const order = () => page.evaluate<string[]>(`[...document.querySelectorAll('#strategy-table tbody tr')].map((row) => row.dataset.strategy)`);
    const byJudge = [...report.strategies].sort((a, b) => b.metrics.judge_score!.mean - a.metrics.judge_score!.mean).map((row) => row.name);
    assert.deepEqual(await order(), byJudge, 'by the primary metric, best first');
    await page.click('#strategy-table th[data-key="ttft"] button');
    const byTtft = [...report.strategies].sort((a, b) => b.latency.timeToFirstTokenMs!.mean - a.latency.timeToFirstTokenMs!.mean).map((row) => row.name);
    assert.deepEqual(await order(), byTtft);
    await page.click('#strategy-table th[data-key="ttft"] button');
    assert.deepEqual(await order(), [...byTtft].reverse());
    assert.equal(await page.locator('#strategy-table th[data-key="ttft"]').getAttribute('aria-sort'), 'ascending');
    await page.selectOption('#cost-axis', 'latency');
    await until(page, `document.getElementById('cost-scatter').dataset.axis === 'latency'`);
    await view.close();
  });

  it('renders hostile report text inert: markup, </script>, RTL, a 100 KB answer', async () => {
    mkdirSync(outputDir, { recursive: true });
    const report = generateEvalReport({ questions: 30, strategies: 4, seed: 1, hostile: true });
    for (const theme of ['light', 'dark'] as const) {
      const view = await harness.open({ theme });
      await view.state(state(report));
      await rendered(view);
      const { page } = view;
      assert.equal(await page.locator('#report-title').textContent(), `support ${hostileStrings.markup}`);
      assert.equal(await page.locator('#detail-question').textContent(), report.questions[0]!.question);
      assert.ok((await page.locator('article.answer[data-strategy="zero-shot"] .answer-text').textContent())?.includes(hostileStrings.markup));
      await page.locator('article.answer[data-strategy="zero-shot"] details.judge-reasoning summary').click();
      await page.locator('article.answer[data-strategy="rag"] details.passages summary').click();
      for (const next of ['j', 'j', 'j']) await page.locator('body').press(next);
      await until(page, `document.getElementById('question-detail').dataset.id === 'q4'`);
      assert.equal(await page.locator('#detail-reference').textContent(), report.questions[3]!.reference);
      await page.locator('body').press('j');
      await until(page, `document.getElementById('question-detail').dataset.id === 'q5'`);
      // The answer is its text without the struck reference words.
      const long = await page.evaluate<string>(`(() => {
        const copy = document.querySelector('article.answer[data-strategy="zero-shot"] .answer-text').cloneNode(true);
        for (const removed of copy.querySelectorAll('del')) removed.remove();
        return copy.textContent;
      })()`);
      assert.ok(long === report.questions[4]!.answers['zero-shot']!.content && long.length > 100_000, 'the 100 KB answer is shown whole');
      for (const next of ['k', 'k', 'k', 'k']) await page.locator('body').press(next);
      await until(page, `document.getElementById('question-detail').dataset.id === 'q1'`);
      assert.equal(await page.evaluate('window.__pwned'), undefined, 'no script from the report ran');
      assert.equal(await page.locator('img').count(), 0, 'no element came from report text');
      assert.equal(await page.locator('#root script, #root a[href]').count(), 0);
      await page.screenshot({ path: join(outputDir, `eval-report-hostile-${theme}.png`), fullPage: false });
      await view.close();
    }
  });

  it('asks the host for the selected question, shows it loading, keeps it, and asks ahead for the neighbours', async () => {
    const report = generateEvalReport({ questions: 40, strategies: 4, seed: 5 });
    const long = `How do I ${'reset the billing plan of a team workspace '.repeat(12)}end?`;
    report.questions[2]!.question = long;
    const view = await harness.open();
    const { page } = view;
    await page.evaluate(`window.hostReplies['evalReport/question'] = undefined`);
    await view.state(state(report));
    await rendered(view);
    const asked = async () => (await view.posted()).filter((m) => m.method === 'evalReport/question').map((m) => m.questionId as string);
    await until(page, `window.posted.filter((m) => m.method === 'evalReport/question').length >= 3`);
    assert.deepEqual((await asked()).sort(), ['q1', 'q2', 'q3'], 'the selected question and the two after it');
    assert.equal(await page.locator('#detail-reference').textContent(), report.questions[0]!.reference, 'the detail is the host’s row');
    // The list holds the cut question; the detail has it whole.
    const listed = page.locator('.question-row[data-id="q3"] .question-text');
    assert.equal(await listed.getAttribute('data-cut'), 'true');
    assert.equal((await listed.textContent())?.length, questionPreviewLength + 1, 'cut, with an ellipsis');
    await page.locator('body').press('j');
    await until(page, `document.getElementById('question-detail').dataset.id === 'q2'`);
    await page.locator('body').press('j');
    await until(page, `document.getElementById('question-detail').dataset.id === 'q3'`);
    assert.equal(await page.locator('#detail-question').textContent(), long);
    await page.locator('body').press('k');
    await until(page, `document.getElementById('question-detail').dataset.id === 'q2'`);
    const counts = (await asked()).reduce<Record<string, number>>((count, id) => ((count[id] = (count[id] ?? 0) + 1), count), {});
    assert.ok(
      Object.values(counts).every((n) => n === 1),
      `each question asked for once, then kept: ${JSON.stringify(counts)}`,
    );
    // A slow host: the question shows loading until its detail comes; a failing host: the error.
    await page.evaluate(`window.hostReplies['evalReport/question'] = { delayMs: 600, result: { revision: 99, question: ${JSON.stringify(report.questions[29])} } }`);
    await page.locator('.question-row[data-id="q2"]').click();
    await page.fill('#filter-text', report.questions[29]!.id);
    await until(page, `document.getElementById('question-pending')?.dataset.id === 'q30'`);
    assert.equal(await page.locator('#question-pending').getAttribute('aria-busy'), 'true');
    await until(page, `document.getElementById('question-detail')?.dataset.id === 'q30'`);
    await page.evaluate(`window.hostReplies['evalReport/question'] = { error: 'The report has no question q31 any more.' }`);
    await page.fill('#filter-text', 'q31');
    await page.locator('#question-pending', { hasText: 'The report has no question q31 any more.' }).waitFor();
    // A new report (a grade stored): what was kept is dropped and the shown question asked for again.
    await page.evaluate(`window.hostReplies['evalReport/question'] = undefined`);
    await page.fill('#filter-text', '');
    await until(page, `document.getElementById('question-detail')?.dataset.id !== undefined`);
    const shown = await page.locator('#question-detail').getAttribute('data-id');
    const before = (await asked()).filter((id) => id === shown).length;
    await view.state(state(report));
    await until(page, `window.posted.filter((m) => m.method === 'evalReport/question' && m.questionId === ${JSON.stringify(shown)}).length === ${before + 1}`);
    await view.close();
  });

  it('renders hostile text in a question’s detail inert: reasoning, passages, examples, notes, judge, a long question', async () => {
    const report = generateEvalReport({ questions: 12, strategies: 4, seed: 8 });
    const hostile = Object.values(hostileStrings).join(' ');
    const row = report.questions[0]!;
    row.question = `${hostile} ${'x'.repeat(400)} ${hostileStrings.markup}`;
    row.sources = [hostileStrings.markup];
    const rag = row.answers['rag']!;
    rag.reasoning = hostile;
    rag.notes = [hostile];
    rag.passages[0] = { ...rag.passages[0]!, text: hostile, headingPath: [hostileStrings.script] };
    rag.examples[0] = { source: hostileStrings.markup, messages: [{ role: hostileStrings.markup, content: hostile }] };
    rag.judge = { score: 2, reasoning: hostile, judgeKey: 'judge/x' };
    rag.error = { code: hostileStrings.markup, message: hostile };
    rag.manual = { strategy: 'rag', questionId: row.id, score: 2, gradedAt: 1, note: `"><img src=x onerror="window.__pwned=5">` };
    const view = await harness.open({ theme: 'light' });
    await view.state(state(report));
    await rendered(view);
    const { page } = view;
    assert.equal(await page.locator('#detail-question').textContent(), row.question, 'the whole question in the detail');
    assert.ok(((await page.locator('.question-row[data-id="q1"] .question-text').textContent()) ?? '').length <= questionPreviewLength + 1);
    const answer = page.locator('article.answer[data-strategy="rag"]');
    for (const part of ['model-reasoning', 'passages', 'examples', 'judge-reasoning']) await answer.locator(`details.${part} summary`).click();
    assert.equal(await answer.locator('details.model-reasoning .prose').textContent(), hostile);
    assert.equal(await answer.locator('.passage .prose').first().textContent(), hostile);
    assert.equal(await answer.locator('.example .message').first().textContent(), `${hostileStrings.markup}: ${hostile}`);
    assert.equal(await answer.locator('.notes li').textContent(), hostile);
    assert.equal(await answer.locator('details.judge-reasoning .prose').textContent(), hostile);
    assert.equal(await answer.locator('.answer-error').first().textContent(), `${hostileStrings.markup}: ${hostile}`);
    assert.equal(await answer.locator('.grade-note').inputValue(), rag.manual.note);
    assert.equal(await page.evaluate('window.__pwned'), undefined, 'no script from the report ran');
    assert.equal(await page.locator('#root img, #root script, #root a[href], #root iframe').count(), 0, 'no element came from report text');
    await page.screenshot({ path: join(outputDir, 'eval-report-detail-hostile-light.png'), fullPage: false });
    await view.close();
  });
});
