import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { type EvalReport } from '../../src/core/eval/evalTypes';
import { scratchDir } from '../support/scratchDir';
import { lastUserText, startScriptedServer, type ScriptedServer } from '../support/scriptedOpenAiServer';
import { openWorkbench, runCommand, screenshot, webviewWith, type Workbench } from '../support/workbench';

/**
 * A strategy comparison as a user meets it in a real VS Code (code-server) with the packaged extension: a workspace
 * with an eval set and a comparison of three strategies over a local OpenAI-compatible endpoint (its key in the
 * environment VS Code was started with), "Chatwright: Run Comparison" from the palette, and the report that opens:
 * the recommendation and the strategy table, one question's answers side by side, and a hand grade.
 */
const questions = [
  ['How do I reset my password?', 'Open Settings, choose Account, then Reset password and follow the emailed link.'],
  ['Can I export my invoices?', 'Yes: Billing, then Invoices, then Export as CSV or PDF.'],
  ['What are the support hours?', 'Support answers from 8 to 18 on weekdays, Central European Time.'],
  ['How do I add a teammate?', 'Go to Team, press Invite, and enter their email address.'],
  ['Is there a mobile app?', 'Yes, for iOS and Android; sign in with the same account.'],
  ['How do I cancel my plan?', 'Billing, then Plan, then Cancel plan; it ends at the close of the period.'],
  ['Where is my API key?', 'Settings, then Developer, then API keys; create one there and copy it once.'],
  ['Do you offer refunds?', 'Within 14 days of purchase, write to support with the invoice number.'],
  ['How do I change my email address?', 'Settings, then Account, then Email; confirm the change from the new address.'],
  ['Can I pay by bank transfer?', 'Yes: Billing, then Payment methods, then Add bank transfer.'],
  ['How do I turn on two-factor sign-in?', 'Settings, then Security, then Two-factor, and scan the code with your app.'],
  ['Can I rename a project?', 'Yes: open the project, then Settings, then Rename.'],
] as const;
const referenceOf = new Map<string, string>(questions);

describe('UI: run a comparison from the palette and read its report', { timeout: 300_000 }, () => {
  let workbench: Workbench;
  let server: ScriptedServer;
  let reportFile = '';

  before(async () => {
    server = await startScriptedServer({
      apiKey: 'e2e-secret',
      delayMs: 20,
      models: {
        exact: (messages) => referenceOf.get(lastUserText(messages)) ?? 'I do not know.',
        close: (messages) => (referenceOf.get(lastUserText(messages)) ?? '').replace(/^Yes[:,] /, '').replace(/, then /g, ' > '),
        vague: () => 'Please contact our support team for help with that.',
      },
    });
    const workspace = join(scratchDir('eval-e2e'), 'support-eval');
    mkdirSync(join(workspace, 'data'), { recursive: true });
    writeFileSync(join(workspace, 'data', 'support.eval.jsonl'), questions.map(([question, answer], i) => JSON.stringify({ id: `q${i + 1}`, question, answer })).join('\n') + '\n');
    writeFileSync(
      join(workspace, 'support.compare.yaml'),
      [
        'name: support',
        'description: Which strategy answers the help-desk questions best?',
        'eval_set: data/support.eval.jsonl',
        'strategies:',
        '  - { name: exact, model: desk/exact, description: Answers from the handbook }',
        '  - { name: close, model: desk/close, description: Paraphrases the handbook }',
        '  - { name: vague, model: desk/vague, description: Never answers }',
        'endpoints:',
        `  - { id: desk, url: "${server.url}", api_key_env: SUPPORT_DESK_KEY }`,
        'primary_metric: token_f1',
        'bootstrap_samples: 500',
        '',
      ].join('\n'),
    );
    reportFile = join(workspace, '.chatwright', 'evals', 'support', 'report.json');
    workbench = await openWorkbench({
      workspace,
      env: { SUPPORT_DESK_KEY: 'e2e-secret' },
      settings: { 'workbench.colorTheme': 'Default Dark Modern' },
      viewport: { width: 1600, height: 1000 },
    });
    reportFile = join(workbench.workspace, '.chatwright', 'evals', 'support', 'report.json');
  });

  after(async () => {
    await workbench?.close();
    await server?.close();
  });

  afterEach(async (context) => {
    if (workbench && (context as { passed?: boolean }).passed === false) await screenshot(workbench.page, `eval-failed-${Date.now()}`);
  });

  it('runs the comparison from the palette; the report opens with the recommendation and the strategy table', async () => {
    const { page } = workbench;
    await runCommand(page, 'Chatwright: Run Comparison');
    const report = await webviewWith(page, '#recommendation', 120_000);
    assert.ok(existsSync(reportFile), 'report.json written');
    const written = JSON.parse(readFileSync(reportFile, 'utf8')) as EvalReport;
    assert.equal(written.recommendation.strategy, 'exact');
    assert.equal(server.requests.length, questions.length * 3);
    await report.locator('#strategies').getByText('vague').first().waitFor({ timeout: 30_000 });
    await page.waitForTimeout(500);
    await screenshot(page, 'eval-report');
  });

  it("shows one question's answers side by side with the reference, and takes a hand grade", async () => {
    const { page } = workbench;
    const report = await webviewWith(page, '#recommendation', 30_000);
    await report.getByText(questions[1][0]).first().click();
    await report
      .getByText(/Billing > Invoices/)
      .first()
      .waitFor({ timeout: 30_000 });
    // The detail sits below the list: bring the answers side by side into view for the screenshot.
    await report.locator('article.answer[data-strategy="vague"]').scrollIntoViewIfNeeded();
    await page.waitForTimeout(300);
    await screenshot(page, 'eval-question');
    // Grades are buttons 1..5 per answer; the vague answer gets a 1.
    await report.locator('article.answer[data-strategy="vague"] button.grade[data-score="1"]').click();
    const deadline = Date.now() + 30_000;
    for (;;) {
      const graded = JSON.parse(readFileSync(reportFile, 'utf8')) as EvalReport;
      if (graded.strategies.some((s) => s.metrics.manual_score !== undefined)) break;
      assert.ok(Date.now() < deadline, 'the report was rebuilt with the grade');
      await page.waitForTimeout(300);
    }
    await page.waitForTimeout(500);
    await screenshot(page, 'eval-grading');
  });
});
