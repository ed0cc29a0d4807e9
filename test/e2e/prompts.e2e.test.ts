import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { repoRoot } from '../support/codeServer.mjs';
import { runCommand, screenshot, webviewFrame, type Workbench, openWorkbench } from '../support/workbench';

describe('UI: a highlighted prompt template beside its rendered preview', { timeout: 180_000 }, () => {
  let workbench: Workbench;
  before(async () => {
    workbench = await openWorkbench({ workspace: join(repoRoot, 'examples', 'support-bot'), settings: { 'workbench.colorTheme': 'Default Dark Modern' } });
  });
  after(async () => {
    await workbench?.close();
  });

  it('opens support.prompty highlighted, runs "Chatwright: Preview Prompt" and shows the messages', async () => {
    const { page } = workbench;
    await page.keyboard.press('Control+P');
    const input = page.locator('.quick-input-widget .quick-input-box input');
    await input.waitFor();
    await input.fill('support.prompty');
    await page.locator('.quick-input-widget .monaco-list-row', { hasText: 'support.prompty' }).first().waitFor();
    await page.keyboard.press('Enter');
    const editor = page.locator('.editor-instance .monaco-editor').first();
    await editor.waitFor({ timeout: 30_000 });
    // The grammar colours role markers and Jinja: their tokens carry distinct classes (mtkN).
    await page.locator('.view-line span', { hasText: 'system:' }).first().waitFor({ timeout: 30_000 });
    // Tokenization is asynchronous: wait until the role marker's token class differs from plain text's.
    const classOf = (text: string) => page.locator('.view-line span span', { hasText: text }).first().getAttribute('class');
    let roleClass: string | null = null;
    let plainClass: string | null = null;
    for (let attempt = 0; attempt < 50 && roleClass === plainClass; attempt++) {
      await page.waitForTimeout(200);
      roleClass = await classOf('system');
      plainClass = await classOf('You are the support assistant');
    }
    await screenshot(page, 'prompt-template-highlighted');
    assert.notEqual(roleClass, plainClass, 'role markers are highlighted differently from text');
    const jinjaClass = await classOf('question');
    assert.notEqual(jinjaClass, plainClass, 'Jinja variables are highlighted differently from text');

    await runCommand(page, 'Chatwright: Preview Prompt');
    const preview = webviewFrame(page);
    await preview.locator('#messages li').first().waitFor({ timeout: 60_000 });
    const roles = await preview.locator('#messages .role').allTextContents();
    assert.deepEqual(roles, ['system', 'user']);
    assert.match((await preview.locator('#messages li').last().textContent()) ?? '', /My thermostat shows E42/);
    assert.match((await preview.locator('#model-hint').textContent()) ?? '', /chat template/);
    // The notice is Markdown: `model.id` and file names are code, not backticks.
    assert.ok((await preview.locator('#model-hint code').count()) > 0, 'the model hint renders its code spans');
    assert.doesNotMatch((await preview.locator('#model-hint').textContent()) ?? '', /`/);
    await preview.locator('#choose-model').waitFor();
    await preview.locator('#try-in-chat').waitFor();
    await screenshot(page, 'prompt-preview');

    // The model button lists the models to preview with; Escape keeps the current choice.
    await preview.locator('#choose-model').click();
    const pick = page.locator('.quick-input-widget');
    await pick.locator('.monaco-list-row', { hasText: 'Automatic' }).first().waitFor({ timeout: 20_000 });
    await pick.locator('.monaco-list-row', { hasText: 'Model folder' }).first().waitFor();
    await screenshot(page, 'prompt-preview-model-picker');
    await page.keyboard.press('Escape');

    // Values typed in the preview's inputs form re-render the messages (the template's sample is left alone).
    const question = preview.locator('textarea[data-name="question"]');
    await question.fill('The display is blank.');
    await preview.locator('#messages li', { hasText: 'The display is blank.' }).waitFor({ timeout: 30_000 });
    assert.equal(await question.inputValue(), 'The display is blank.', 'the field keeps what was typed across re-renders');
    await screenshot(page, 'prompt-preview-typed-input');

    // "Try in Chat" opens the chat with this template.
    await preview.locator('#try-in-chat').click();
    // The chat's editor tab is named after its conversation (a new one, here).
    await page
      .locator('.tab', { hasText: /New conversation|Chatwright Chat/ })
      .first()
      .waitFor({ timeout: 30_000 });
    // The chat's template selector (in whichever webview frame the chat panel got) names this template.
    let selected: string | undefined;
    for (let attempt = 0; attempt < 60 && selected !== 'prompts/support.prompty'; attempt++) {
      for (const frame of page.frames()) {
        const select = frame.locator('#setting-template');
        if ((await select.count().catch(() => 0)) > 0) selected = await select.inputValue().catch(() => undefined);
      }
      await page.waitForTimeout(500);
    }
    assert.equal(selected, 'prompts/support.prompty');
    await screenshot(page, 'prompt-preview-try-in-chat');
  });
});
