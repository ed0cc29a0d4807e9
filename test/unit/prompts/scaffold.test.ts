import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isValidTemplateName, scaffoldPromptTemplate } from '../../../src/host/prompts/promptTemplateScaffold';
import { analyzePrompty } from '../../../src/core/prompts/promptyDiagnostics';
import { renderPrompt } from '../../../src/core/prompts/renderPrompt';
import { scratchDir } from '../../support/scratchDir';

describe('"New Prompt Template" scaffold', () => {
  it('writes a template and examples file that check clean and render with their examples', async () => {
    const folder = scratchDir('scaffold');
    const files = scaffoldPromptTemplate('billing-help');
    writeFileSync(join(folder, 'billing-help.prompty'), files.template);
    writeFileSync(join(folder, 'billing-help.examples.jsonl'), files.examples);
    const context = { templatePath: join(folder, 'billing-help.prompty'), workspaceRoots: [folder], checkModelCache: false };
    assert.deepEqual(analyzePrompty(files.template, context).findings, []);
    const rendered = await renderPrompt({ text: files.template, ...context });
    assert.deepEqual(
      rendered.messages.map((m) => `${m.role}/${m.source}`),
      ['system/template', 'user/example', 'assistant/example', 'user/example', 'assistant/example', 'user/template'],
    );
    assert.match(rendered.messages[0]!.content, /Billing Help/);
  });
  it('names the chosen model when there is one', () => {
    assert.match(scaffoldPromptTemplate('x', 'Qwen/Qwen3-0.6B').template, /\n {2}id: Qwen\/Qwen3-0\.6B\n/);
  });
  it('accepts file-safe names only', () => {
    assert.ok(isValidTemplateName('support_bot-2'));
    for (const bad of ['', '../x', 'a b', 'x/y', '.hidden']) assert.ok(!isValidTemplateName(bad), bad);
  });
});
