import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Template } from '@huggingface/jinja';
import { loadTokenCounter } from '../../../src/core/datasets/tokenizer';
import { GuardedJinjaTemplate, renderGuardedMustache, TemplateBudgetError } from '../../../src/core/templates/guardedTemplates';
import { renderPrompt } from '../../../src/core/prompts/renderPrompt';
import { RenderFailure } from '../../../src/core/prompts/renderErrors';
import { defaultRenderWorkerScript, RenderSandbox } from '../../../src/core/prompts/renderSandbox';
import { renderTemplateBody } from '../../../src/core/prompts/templateRendering';
import { runCliCaptured } from '../../support/cli';
import { qwen3ModelFolder } from '../../support/promptFixtures';
import { scratchDir } from '../../support/scratchDir';

const scratch: string[] = [];
after(() => {
  for (const folder of scratch) rmSync(folder, { recursive: true, force: true });
});

function tempFolder(): string {
  const folder = scratchDir('budgets');
  scratch.push(folder);
  return folder;
}

/** Qwen3's real model folder with its chat template replaced by a runaway one. */
function modelWithChatTemplate(chatTemplate: string): string {
  const folder = qwen3ModelFolder();
  scratch.push(folder);
  const configFile = join(folder, 'tokenizer_config.json');
  const config = JSON.parse(readFileSync(configFile, 'utf8')) as Record<string, unknown>;
  writeFileSync(configFile, JSON.stringify({ ...config, chat_template: chatTemplate }));
  return folder;
}

const hugeRange = '{% for m in messages %}{{ m.content }}{% endfor %}{% for i in range(10**9) %}x{% endfor %}';
const nestedLoop = '{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}{% endfor %}';
const doubling = "{% set ns = namespace(s='x') %}{% for i in range(40) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s }}";

describe('template budgets: every Jinja and Mustache render is bounded', () => {
  it('refuses range(10**9) with a clear error instead of aborting the process', () => {
    assert.throws(
      () => renderTemplateBody('{% for i in range(10**9) %}{% endfor %}', 'jinja2', {}),
      (error: unknown) => error instanceof TemplateBudgetError && /range\(\) of 1,000,000,000 items is over the limit of 1,000,000/.test(error.message),
    );
  });
  it('stops a nested loop by its loop budget', () => {
    const started = Date.now();
    assert.throws(() => renderTemplateBody(nestedLoop, 'jinja2', {}), /Rendering stopped: the template runs over 200,000 loop iterations/);
    assert.ok(Date.now() - started < 10_000);
  });
  it('stops a loop by its time budget when the loop budget allows it', () => {
    const started = Date.now();
    assert.throws(
      () => renderTemplateBody(nestedLoop, 'jinja2', {}, { timeMs: 200, maxLoopIterations: 1e12 }),
      (error: unknown) => error instanceof TemplateBudgetError && error.budget === 'timeMs' && /Rendering stopped after 200 ms/.test(error.message),
    );
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
  });
  it('stops text that doubles in a loop by the output budget', () => {
    assert.throws(() => renderTemplateBody(doubling, 'jinja2', {}), /makes text over 4,000,000 characters/);
  });
  it("reports `'x' * 10**9` as an error (strings do not multiply)", () => {
    assert.throws(() => renderTemplateBody("{{ 'x' * 10**9 }}", 'jinja2', {}), /Unknown operator "\*"/);
  });
  it('stops a list that doubles in a loop by the item budget', () => {
    assert.throws(
      () => renderTemplateBody('{% set ns = namespace(a=[1]) %}{% for i in range(60) %}{% set ns.a = ns.a + ns.a %}{% endfor %}{{ ns.a|length }}', 'jinja2', {}),
      /a list of over 1,000,000 items/,
    );
  });
  it('stops a macro that calls itself without end', () => {
    assert.throws(() => renderTemplateBody('{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(1) }}', 'jinja2', {}), /nests too deeply/);
  });
  it('stops Mustache sections nested over the same list', () => {
    const items = Array.from({ length: 100 }, (_, i) => i);
    assert.throws(() => renderGuardedMustache('{{#items}}{{#items}}{{#items}}{{#items}}x{{/items}}{{/items}}{{/items}}{{/items}}', { items }), /loop iterations/);
  });
  it('renders chat templates byte-identically to @huggingface/jinja', () => {
    const folder = qwen3ModelFolder();
    scratch.push(folder);
    const source = (JSON.parse(readFileSync(join(folder, 'tokenizer_config.json'), 'utf8')) as { chat_template: string }).chat_template;
    const values = {
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hi {{ not a tag }}' },
        { role: 'assistant', content: '<think>\nx\n</think>\n\nHello.' },
        { role: 'user', content: 'Again' },
      ],
      add_generation_prompt: true,
      enable_thinking: false,
    };
    assert.equal(new GuardedJinjaTemplate(source, { chatTemplate: true }).render(values), new Template(source).render(values));
  });
});

describe("a model's chat template with range(10**9) (tokenizer_config.json) is a clear error everywhere", () => {
  const model = modelWithChatTemplate(hugeRange);
  it('in the preview (render sandbox), naming the model folder', async () => {
    const sandbox = new RenderSandbox({ workerScript: defaultRenderWorkerScript(), timeoutMs: 3000 });
    try {
      await assert.rejects(
        sandbox.render({ text: 'user:\nhello', workspaceRoots: [], model }),
        (error: unknown) => error instanceof RenderFailure && error.origin === 'model' && error.message.includes(model) && /range\(\) of 1,000,000,000 items/.test(error.message),
      );
      const rendered = await sandbox.render({ text: 'user:\nstill works', workspaceRoots: [] });
      assert.equal(rendered.messages[0]!.content, 'still works');
    } finally {
      await sandbox.dispose();
    }
  });
  it('in renderPrompt in process', async () => {
    await assert.rejects(renderPrompt({ text: 'user:\nhello', workspaceRoots: [], model }), /chat template of .* failed: range\(\) of 1,000,000,000 items/);
  });
  it('in `chatwright render --model` (exit 2 with the message)', async () => {
    const folder = tempFolder();
    writeFileSync(join(folder, 't.prompty'), 'user:\nhello\n');
    const result = await runCliCaptured(['render', 't.prompty', '--model', model], { cwd: folder });
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, /t\.prompty: cannot render: The chat template of .* failed: range\(\) of 1,000,000,000 items/);
  });
  it('in token counting (the loader the language server and validation use)', async () => {
    await assert.rejects(loadTokenCounter(model), /chat template in .*tokenizer_config\.json cannot be used to count tokens: range\(\) of 1,000,000,000 items/);
  });
  it('in `chatwright validate --tokenizer <folder>` (exit 2 with the message)', async () => {
    const folder = tempFolder();
    writeFileSync(
      join(folder, 'train.jsonl'),
      `${JSON.stringify({
        messages: [
          { role: 'user', content: 'hi' },
          { role: 'assistant', content: 'hello' },
        ],
      })}\n`,
    );
    const result = await runCliCaptured(['validate', 'train.jsonl', '--tokenizer', model, '--max-tokens', '100', '--no-splits'], { cwd: folder });
    assert.equal(result.code, 2, result.stdout + result.stderr);
    assert.match(result.stderr, /train\.jsonl: .*cannot be used to count tokens: range\(\) of 1,000,000,000 items/);
  });
});

describe('token counting with a chat template that runs out of budget on one row', () => {
  it('counts that row and the rest with the ChatML layout', async () => {
    // Plain conversations render; a row with a "loop" turn runs a nested loop.
    const model = modelWithChatTemplate(
      "{% for m in messages %}{% if m.role == 'loop' %}{% for a in range(100000) %}{% for b in range(100000) %}x{% endfor %}{% endfor %}{% endif %}[{{ m.content }}]{% endfor %}",
    );
    const counter = await loadTokenCounter(model);
    assert.equal(counter.renderChat!([{ role: 'user', content: 'hi' }]), '[hi]');
    const started = Date.now();
    assert.equal(counter.renderChat!([{ role: 'loop', content: 'hi' }]), undefined);
    assert.equal(counter.renderChat!([{ role: 'user', content: 'hi' }]), undefined, 'the template is not used again');
    assert.ok(Date.now() - started < 5000);
  });
});
